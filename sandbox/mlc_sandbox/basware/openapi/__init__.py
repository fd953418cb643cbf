"""Request schemas from Basware's OpenAPI files (file version 26.06.05.402), descriptions cut.

`requests.json` is generated from the spec by `tests/sandbox/contract/basware/spec.py --write`; a test
checks it still equals the spec. The simulator validates request bodies with it (see `schemas.py`).
"""
