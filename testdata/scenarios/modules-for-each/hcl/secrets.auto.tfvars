# In the pipeline this file is written from the key vault; the value is a fixture.
windows_admin_password = "SECRET-SHOULD-NOT-BE-PRINTED"
