"""Application services: the one API every front end uses (GUI, checkout server, REST API, CLI).

They orchestrate the pure rules of app.core with persistence (app.db) and the chain (app.chain).
Front ends receive a `Services` object from the composition root; they never import app.db.
"""
