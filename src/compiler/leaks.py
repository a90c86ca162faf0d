def scan(book, files): return None
