"""Wire schemas of the clinic surface (/api/v1): request bodies (``Body``) and response parts (``Wire``)."""
