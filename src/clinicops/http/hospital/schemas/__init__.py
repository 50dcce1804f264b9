"""The hospital surface's response bodies (/api), one module per resource, named as the wire names them.

Each route declares its body with ``response_model=`` (see ``clinicops.http.responses``); the models are the
OpenAPI schema and the contract the test suite checks every response against. The mixed casing (``addressLine1``
beside ``address_line_1``) is the contract the chain's shipped front ends read, so it is modelled as sent.
"""
