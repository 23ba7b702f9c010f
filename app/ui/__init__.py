"""The Qt front end (PySide6 + qasync): window, views, table models, dialogs, kiosk."""
