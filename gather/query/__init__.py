"""The query language of records lists and views: parse -> spec -> SQL for each database."""
