from __future__ import annotations

import requests

from ml_connector.http.token_managers import basware_token_manager, ifs_token_manager


def test_shared_managers_are_one_per_credential_set() -> None:
    first = ifs_token_manager("https://ifs.example", "r1", "cid", "secret-tm-1", shared=True)
    assert ifs_token_manager("https://ifs.example/", "r1", "cid", "secret-tm-1", shared=True) is first
    assert ifs_token_manager("https://ifs.example", "r1", "cid", "secret-tm-2", shared=True) is not first
    assert ifs_token_manager("https://ifs.example", "r2", "cid", "secret-tm-1", shared=True) is not first
    bw = basware_token_manager("https://bw.example", "cid", "secret-tm-1", "vendors.read", shared=True)
    assert basware_token_manager("https://bw.example", "cid", "secret-tm-1", "vendors.read", shared=True) is bw
    assert basware_token_manager("https://bw.example", "cid", "secret-tm-1", "tasks.read", shared=True) is not bw


def test_unshared_managers_are_new_and_ride_on_the_clients_session() -> None:
    session = requests.Session()
    first = ifs_token_manager("https://ifs.example", "r", "cid", "secret-tm-3", session=session)
    assert ifs_token_manager("https://ifs.example", "r", "cid", "secret-tm-3", session=session) is not first
    assert first._source._session is session
    assert first.name == "ifs:r:cid"


def test_a_shared_manager_keeps_its_own_session() -> None:
    session = requests.Session()
    shared = basware_token_manager("https://bw.example", "cid", "secret-tm-4", "s", shared=True, session=session)
    assert shared._source._session is not session
    assert shared.name == "basware:cid"
