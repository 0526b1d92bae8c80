//! The ARM template expression syntax: a tokenizer and a recursive-descent parser for
//! `[fn(args).prop[index]]`.
//!
//! A JSON string is an expression when it starts with `[` and ends with `]`; `[[` at the start
//! escapes a literal `[`. Inside: string literals in single quotes (`''` is a quote), integer
//! literals (optionally negative), function calls (`ns.fn(…)` for user-defined functions),
//! property access `.name` and indexing `[expr]`. There are no operators: everything is a
//! function call.

/// Byte offset of a token in the whole string value (the leading `[` is offset 0).
pub type Pos = usize;

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Str(String, Pos),
    Int(i64, Pos),
    Call {
        /// Namespace of a user-defined function (`contoso` in `contoso.uniqueName()`).
        ns: Option<String>,
        name: String,
        args: Vec<Expr>,
        at: Pos,
    },
    Prop(Box<Expr>, String, Pos),
    Index(Box<Expr>, Box<Expr>, Pos),
}

impl Expr {
    pub fn pos(&self) -> Pos {
        match self {
            Expr::Str(_, p) | Expr::Int(_, p) | Expr::Prop(_, _, p) | Expr::Index(_, _, p) => *p,
            Expr::Call { at, .. } => *at,
        }
    }
}

/// A syntax error, at a byte offset of the string value.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub message: String,
    pub at: Pos,
}

/// Whether a JSON string value is a template expression.
pub fn is_expression(s: &str) -> bool {
    s.len() >= 2 && s.starts_with('[') && s.ends_with(']') && !s.starts_with("[[")
}

/// The literal text of a string that is not an expression (`[[x]` is `[x]`).
pub fn literal(s: &str) -> &str {
    if s.starts_with("[[") && s.ends_with(']') {
        &s[1..]
    } else {
        s
    }
}

/// Nesting deeper than this is refused (a template is not a stack-overflow test).
const MAX_DEPTH: usize = 200;

/// Parse a whole expression string, brackets included (`[concat('a', 'b')]`).
pub fn parse_expression(s: &str) -> Result<Expr, ParseError> {
    debug_assert!(is_expression(s));
    let inner = &s[1..s.len() - 1];
    let tokens = tokenize(inner, 1)?;
    let mut p = Parser {
        tokens,
        i: 0,
        end: s.len() - 1,
        depth: 0,
    };
    if p.tokens.is_empty() {
        return Err(ParseError {
            message: "the expression is empty".into(),
            at: 1,
        });
    }
    let e = p.expr()?;
    if let Some(t) = p.peek() {
        return Err(ParseError {
            message: format!(
                "unexpected {} after the end of the expression",
                t.tok.describe()
            ),
            at: t.at,
        });
    }
    Ok(e)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Str(String),
    Int(i64),
    Ident(String),
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::LBracket => "'['".into(),
            Tok::RBracket => "']'".into(),
            Tok::Comma => "','".into(),
            Tok::Dot => "'.'".into(),
            Tok::Str(s) => format!("the string '{}'", s.chars().take(40).collect::<String>()),
            Tok::Int(i) => format!("the number {i}"),
            Tok::Ident(s) => format!("'{s}'"),
        }
    }
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    at: Pos,
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '$' || c == '@'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '@' || c == '-'
}

fn tokenize(s: &str, base: Pos) -> Result<Vec<Token>, ParseError> {
    let mut out = vec![];
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < s.len() {
        let c = s[i..].chars().next().unwrap_or(' ');
        let at = base + i;
        match c {
            c if c.is_whitespace() => i += c.len_utf8(),
            '(' => {
                out.push(Token {
                    tok: Tok::LParen,
                    at,
                });
                i += 1
            }
            ')' => {
                out.push(Token {
                    tok: Tok::RParen,
                    at,
                });
                i += 1
            }
            '[' => {
                out.push(Token {
                    tok: Tok::LBracket,
                    at,
                });
                i += 1
            }
            ']' => {
                out.push(Token {
                    tok: Tok::RBracket,
                    at,
                });
                i += 1
            }
            ',' => {
                out.push(Token {
                    tok: Tok::Comma,
                    at,
                });
                i += 1
            }
            '.' => {
                out.push(Token { tok: Tok::Dot, at });
                i += 1
            }
            '\'' => {
                let mut text = String::new();
                let mut j = i + 1;
                loop {
                    match s[j..].find('\'') {
                        None => {
                            return Err(ParseError {
                                message: "a string literal is not closed (a ' is missing)".into(),
                                at,
                            });
                        }
                        Some(k) => {
                            text.push_str(&s[j..j + k]);
                            j += k + 1;
                            if bytes.get(j) == Some(&b'\'') {
                                text.push('\'');
                                j += 1;
                            } else {
                                break;
                            }
                        }
                    }
                }
                out.push(Token {
                    tok: Tok::Str(text),
                    at,
                });
                i = j;
            }
            c if c.is_ascii_digit()
                || (c == '-' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) =>
            {
                let mut j = i + 1;
                while j < s.len() && bytes[j].is_ascii_digit() {
                    j += 1;
                }
                if j < s.len()
                    && bytes[j] == b'.'
                    && bytes.get(j + 1).is_some_and(u8::is_ascii_digit)
                {
                    return Err(ParseError {
                        message: format!(
                            "'{}' is not an integer: template expressions have no decimal literals (use json('{}'))",
                            &s[i..j + 2],
                            &s[i..j + 2]
                        ),
                        at,
                    });
                }
                let n: i64 = s[i..j].parse().map_err(|_| ParseError {
                    message: format!("the number {} is too large", &s[i..j]),
                    at,
                })?;
                out.push(Token {
                    tok: Tok::Int(n),
                    at,
                });
                i = j;
            }
            c if is_ident_start(c) => {
                let mut j = i + 1;
                while j < s.len() && is_ident_char(bytes[j] as char) {
                    j += 1;
                }
                out.push(Token {
                    tok: Tok::Ident(s[i..j].to_string()),
                    at,
                });
                i = j;
            }
            '"' => {
                return Err(ParseError {
                    message: "string literals in template expressions use single quotes ('text'), not double quotes".into(),
                    at,
                });
            }
            other => {
                return Err(ParseError {
                    message: format!("unexpected character '{other}'"),
                    at,
                });
            }
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    i: usize,
    /// Offset of the closing `]`, for errors at the end.
    end: Pos,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.i)
    }
    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.i).cloned();
        self.i += 1;
        t
    }
    fn at(&self) -> Pos {
        self.peek().map(|t| t.at).unwrap_or(self.end)
    }
    fn expect(&mut self, tok: Tok, what: &str) -> Result<Pos, ParseError> {
        match self.next() {
            Some(t) if t.tok == tok => Ok(t.at),
            Some(t) => Err(ParseError {
                message: format!("expected {what}, found {}", t.tok.describe()),
                at: t.at,
            }),
            None => Err(ParseError {
                message: format!("expected {what}, but the expression ends"),
                at: self.end,
            }),
        }
    }

    fn expr(&mut self) -> Result<Expr, ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ParseError {
                message: format!("the expression nests more than {MAX_DEPTH} levels deep"),
                at: self.at(),
            });
        }
        let mut e = self.primary()?;
        loop {
            match self.peek().map(|t| &t.tok) {
                Some(Tok::Dot) => {
                    let at = self.next().map(|t| t.at).unwrap_or(self.end);
                    match self.next() {
                        Some(Token {
                            tok: Tok::Ident(name),
                            ..
                        }) => e = Expr::Prop(Box::new(e), name, at),
                        // `.0` is not ARM, but `.properties` names may start with a digit
                        Some(Token {
                            tok: Tok::Int(n), ..
                        }) if n >= 0 => e = Expr::Prop(Box::new(e), n.to_string(), at),
                        Some(t) => {
                            return Err(ParseError {
                                message: format!(
                                    "expected a property name after '.', found {}",
                                    t.tok.describe()
                                ),
                                at: t.at,
                            });
                        }
                        None => {
                            return Err(ParseError {
                                message: "expected a property name after '.'".into(),
                                at: self.end,
                            });
                        }
                    }
                }
                Some(Tok::LBracket) => {
                    let at = self.next().map(|t| t.at).unwrap_or(self.end);
                    let idx = self.expr()?;
                    self.expect(Tok::RBracket, "']'")?;
                    e = Expr::Index(Box::new(e), Box::new(idx), at);
                }
                _ => break,
            }
        }
        self.depth -= 1;
        Ok(e)
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let Some(t) = self.next() else {
            return Err(ParseError {
                message: "expected a value, but the expression ends".into(),
                at: self.end,
            });
        };
        match t.tok {
            Tok::Str(s) => Ok(Expr::Str(s, t.at)),
            Tok::Int(i) => Ok(Expr::Int(i, t.at)),
            Tok::Ident(first) => {
                // `ns.fn(` is a user-defined function; `fn(` a built-in
                let (ns, name) = if matches!(self.peek().map(|t| &t.tok), Some(Tok::Dot))
                    && matches!(
                        self.tokens.get(self.i + 1).map(|t| &t.tok),
                        Some(Tok::Ident(_))
                    )
                    && matches!(
                        self.tokens.get(self.i + 2).map(|t| &t.tok),
                        Some(Tok::LParen)
                    ) {
                    self.i += 1;
                    let Some(Token {
                        tok: Tok::Ident(n), ..
                    }) = self.next()
                    else {
                        unreachable!("checked above")
                    };
                    (Some(first), n)
                } else {
                    (None, first)
                };
                match self.peek().map(|t| &t.tok) {
                    Some(Tok::LParen) => {
                        self.i += 1;
                    }
                    _ => {
                        let shown = match &ns {
                            Some(n) => format!("{n}.{name}"),
                            None => name.clone(),
                        };
                        return Err(ParseError {
                            message: format!(
                                "'{shown}' is not a function call (a '(' is missing) or a string without quotes"
                            ),
                            at: t.at,
                        });
                    }
                }
                let mut args = vec![];
                if matches!(self.peek().map(|t| &t.tok), Some(Tok::RParen)) {
                    self.i += 1;
                } else {
                    loop {
                        args.push(self.expr()?);
                        match self.next() {
                            Some(Token {
                                tok: Tok::Comma, ..
                            }) => continue,
                            Some(Token {
                                tok: Tok::RParen, ..
                            }) => break,
                            Some(other) => {
                                return Err(ParseError {
                                    message: format!(
                                        "expected ',' or ')' in the arguments of {name}(), found {}",
                                        other.tok.describe()
                                    ),
                                    at: other.at,
                                });
                            }
                            None => {
                                return Err(ParseError {
                                    message: format!(
                                        "the arguments of {name}() are not closed (a ')' is missing)"
                                    ),
                                    at: self.end,
                                });
                            }
                        }
                    }
                }
                Ok(Expr::Call {
                    ns,
                    name,
                    args,
                    at: t.at,
                })
            }
            other => Err(ParseError {
                message: format!("expected a value, found {}", other.describe()),
                at: t.at,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: Vec<Expr>) -> Expr {
        Expr::Call {
            ns: None,
            name: name.into(),
            args,
            at: 0,
        }
    }

    /// Positions zeroed, to compare shapes.
    fn shape(e: Expr) -> Expr {
        match e {
            Expr::Str(s, _) => Expr::Str(s, 0),
            Expr::Int(i, _) => Expr::Int(i, 0),
            Expr::Call { ns, name, args, .. } => Expr::Call {
                ns,
                name,
                args: args.into_iter().map(shape).collect(),
                at: 0,
            },
            Expr::Prop(e, n, _) => Expr::Prop(Box::new(shape(*e)), n, 0),
            Expr::Index(e, i, _) => Expr::Index(Box::new(shape(*e)), Box::new(shape(*i)), 0),
        }
    }

    #[test]
    fn parses_calls_properties_and_indexes() {
        let e = parse_expression(
            "[reference(resourceId('Microsoft.Network/azureFirewalls', 'fw')).ipConfigurations[0].properties['privateIPAddress']]",
        )
        .unwrap();
        let rid = call(
            "resourceId",
            vec![
                Expr::Str("Microsoft.Network/azureFirewalls".into(), 0),
                Expr::Str("fw".into(), 0),
            ],
        );
        let expected = Expr::Index(
            Box::new(Expr::Prop(
                Box::new(Expr::Index(
                    Box::new(Expr::Prop(
                        Box::new(call("reference", vec![rid])),
                        "ipConfigurations".into(),
                        0,
                    )),
                    Box::new(Expr::Int(0, 0)),
                    0,
                )),
                "properties".into(),
                0,
            )),
            Box::new(Expr::Str("privateIPAddress".into(), 0)),
            0,
        );
        assert_eq!(shape(e), expected);
    }

    #[test]
    fn string_escapes_negative_numbers_and_namespaces() {
        let e = parse_expression("[concat('it''s', -1, contoso.uniqueName('x'))]").unwrap();
        let Expr::Call { args, .. } = shape(e) else {
            panic!()
        };
        assert_eq!(args[0], Expr::Str("it's".into(), 0));
        assert_eq!(args[1], Expr::Int(-1, 0));
        assert_eq!(
            args[2],
            Expr::Call {
                ns: Some("contoso".into()),
                name: "uniqueName".into(),
                args: vec![Expr::Str("x".into(), 0)],
                at: 0
            }
        );
    }

    #[test]
    fn expression_detection_and_escaping() {
        assert!(is_expression("[variables('a')]"));
        assert!(!is_expression("[[variables('a')]"));
        assert_eq!(literal("[[variables('a')]"), "[variables('a')]");
        assert!(!is_expression("[not closed"));
        assert_eq!(literal("[not closed"), "[not closed");
        assert!(!is_expression("plain"));
    }

    #[test]
    fn errors_say_what_and_where() {
        let e = parse_expression("[concat('a', 'b']").unwrap_err();
        assert!(e.message.contains("not closed"), "{e:?}");
        let e = parse_expression("[concat('a' 'b')]").unwrap_err();
        assert!(e.message.contains("expected ',' or ')'"), "{e:?}");
        let e = parse_expression("[concat('a)]").unwrap_err();
        assert!(e.message.contains("not closed"), "{e:?}");
        assert_eq!(e.at, 8);
        let e = parse_expression("[parameters(\"x\")]").unwrap_err();
        assert!(e.message.contains("single quotes"), "{e:?}");
        let e = parse_expression("[variables]").unwrap_err();
        assert!(e.message.contains("not a function call"), "{e:?}");
        let e = parse_expression("[]").unwrap_err();
        assert!(e.message.contains("empty"), "{e:?}");
        let e = parse_expression("[a() b()]").unwrap_err();
        assert!(e.message.contains("after the end"), "{e:?}");
        let e = parse_expression("[json(1.5)]").unwrap_err();
        assert!(e.message.contains("not an integer"), "{e:?}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let s = format!("[{}1{}]", "not(".repeat(5000), ")".repeat(5000));
        let e = parse_expression(&s).unwrap_err();
        assert!(e.message.contains("nests more than"), "{e:?}");
    }
}
