"""The demo country's content: data only, loaded by demo/curricula.py and demo/courses.py.

Titles, summaries and introductions come in en / az / ru; lesson bodies are in English
(their translations are copies a translator would edit). One module per track
(school.py, university.py, scholarship.py), the curricula in curricula.py, and the
helpers that build blocks and quiz questions in blocks.py.
"""
