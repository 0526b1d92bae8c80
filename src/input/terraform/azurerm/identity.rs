//! `azurerm_user_assigned_identity` and `azurerm_role_assignment`: who may do what where (AKS
//! needs roles on what it changes itself, such as the link of a custom private DNS zone).

use super::super::Ctx;
use super::super::refs::Resolved;
use crate::model::{Known, ManagedIdentity, Principal, Ref, RoleAssignment};

pub(super) fn user_assigned_identity(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let meta = ctx.meta(i, &v);
    ctx.model.identities.push(ManagedIdentity {
        meta,
        principal_id: v.get("principal_id").str(),
    });
}

/// The principal of an assignment: a known object id, or, while it is known only after apply,
/// the identity (or cluster) whose `principal_id` the configuration references.
fn principal(ctx: &mut Ctx<'_, '_>, i: usize, v: &super::super::value::V<'_>) -> Known<Principal> {
    match v.str() {
        Known::Known(id) => Known::Known(Principal::Id(id)),
        Known::Absent => Known::Absent,
        Known::Unknown(why) => {
            let inst = ctx.inst(i);
            let refs = v.expr_refs().unwrap_or_default();
            let found = ctx
                .res
                .resolve_refs(&inst.module, &refs, inst.index.as_ref())
                .unwrap_or_default();
            for r in found {
                if let Resolved::Inst { inst: t, .. } = r {
                    let target = ctx.inst(t);
                    let key = Ref::Key(target.address.to_string());
                    match target.rtype.as_str() {
                        "azurerm_user_assigned_identity" => {
                            return Known::Known(Principal::Identity(key));
                        }
                        "azurerm_kubernetes_cluster" => {
                            return Known::Known(Principal::ClusterIdentity(key));
                        }
                        _ => {}
                    }
                }
            }
            Known::Unknown(why)
        }
    }
}

pub(super) fn role_assignment(ctx: &mut Ctx<'_, '_>, i: usize) {
    let v = ctx.cursor(i);
    let meta = ctx.meta(i, &v);
    let scope = ctx.ref_field(i, &v.get("scope"), &[]);
    let role = match v.get("role_definition_name").str() {
        Known::Absent => v.get("role_definition_id").str(),
        other => other,
    };
    let principal = principal(ctx, i, &v.get("principal_id"));
    ctx.model.role_assignments.push(RoleAssignment {
        meta,
        scope,
        role,
        principal,
    });
}
