"""Staff and terminals: people with roles and PINs, paired web terminals, the append-only audit log
(docs/staff.md). The rules are in app/core/staff.py."""
