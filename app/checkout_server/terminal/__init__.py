"""The web point of sale at /t/ (public listener): paired devices, PIN logins, sale, charge, receipt (docs/terminals.md)."""
