"""The bundled offline demo news site (fictional outlets plus one real
Morocco World News article) and a loopback server for it."""
