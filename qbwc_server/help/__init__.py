"""Help for people: one catalog entry (title, cause, steps, who) per code the server can meet.

Pure data and lookups at the bottom of the layers: it imports nothing of the engine, sync,
write-back, API or qbXML packages, so every one of them may read its words from here.
"""
