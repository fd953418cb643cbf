"""Deterministic seed data shared by both simulators: the brief's global manufacturer.

Four plants, each its own company (IFS company code, Basware company code), each with its own
accounting code-part layout (which of code parts B-J is cost center, department, plant or project
differs per company, as it does in real IFS installations), a chart of GL accounts, suppliers of
which most are also Basware vendors, and approved supplier invoices with realistic coding rows.

Invoices are generated on demand from (seed, index), so `--invoices 100000` costs no memory until a
document is read; the simulators keep only what changed.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
DEFAULT_ANCHOR = datetime(2026, 11, 1, tzinfo=UTC)

# Basware coding-row fields and the dimension they carry in the seed data.
BASWARE_DIMENSION_FIELDS = {
    "CostCenter": "costCenterCode",
    "Department": "dimCode1",
    "Plant": "plant",
    "Project": "projectCode",
}

# Kinds of invalid document a fault profile can mix into the data set (see `SeedConfig.invalid_share`).
INVALID_KINDS = ("unknown_company", "unknown_cost_center", "unbalanced", "unknown_account", "malformed")


@dataclass(frozen=True)
class SeedConfig:
    seed: int = 42
    invoices: int = 200
    suppliers: int = 300
    # Share of suppliers that are also Basware vendors (same vendor code = IFS supplier id).
    basware_vendor_share: float = 0.9
    # Extra Basware vendors that IFS does not know yet (become new IFS suppliers), as a share of suppliers.
    basware_only_vendor_share: float = 0.05
    # Share of invoices deliberately invalid (unknown company / cost center, unbalanced rows, ...).
    invalid_share: float = 0.0
    # Invoices are spread over the `history_days` before `anchor` (fixed, so data is reproducible).
    anchor: datetime = DEFAULT_ANCHOR
    history_days: int = 30


@dataclass(frozen=True)
class Company:
    ifs_company: str
    basware_company_code: str
    name: str
    country: str
    currency: str
    tax_percent: Decimal
    # code part letter -> dimension name, e.g. {"A": "Account", "B": "CostCenter", ...}
    code_parts: dict[str, str]

    def code_part_for(self, dimension: str) -> str:
        for letter, name in self.code_parts.items():
            if name == dimension:
                return letter
        raise KeyError(f"company {self.ifs_company} has no code part for {dimension}")


@dataclass(frozen=True)
class CodePartValue:
    company: str
    code_part: str  # "A".."J"
    code: str
    description: str
    valid_from: datetime
    valid_until: datetime


@dataclass(frozen=True)
class Supplier:
    supplier_id: str  # IFS supplier number == Basware vendor code
    name: str
    country: str
    default_language: str
    currency: str
    vat_no: str
    creation_date: datetime
    modified_date: datetime
    companies: tuple[str, ...]  # IFS companies the supplier is registered in
    in_ifs: bool
    in_basware: bool


_COMPANIES = (
    Company("10", "US10", "Northwind Manufacturing Inc.", "US", "USD", Decimal("7.25"),
            {"A": "Account", "B": "CostCenter", "C": "Department", "D": "Project", "E": "Plant"}),
    Company("20", "DE20", "Northwind Fertigung GmbH", "DE", "EUR", Decimal("19"),
            {"A": "Account", "B": "CostCenter", "C": "Plant", "D": "Department", "E": "Project"}),
    Company("30", "MX30", "Northwind Manufactura S.A. de C.V.", "MX", "MXN", Decimal("16"),
            {"A": "Account", "B": "Department", "C": "CostCenter", "D": "Plant", "E": "Project"}),
    Company("40", "CN40", "Northwind Manufacturing (Suzhou) Co.", "CN", "CNY", Decimal("13"),
            {"A": "Account", "B": "CostCenter", "C": "Department", "D": "Plant", "E": "Project"}),
)

_ACCOUNTS = (
    ("6000", "Raw materials"), ("6010", "Components and subassemblies"), ("6020", "Packaging material"),
    ("6100", "Freight inbound"), ("6110", "Freight outbound"), ("6200", "Subcontracted machining"),
    ("6210", "Subcontracted surface treatment"), ("6300", "Maintenance and repairs"),
    ("6310", "Spare parts"), ("6400", "Energy - electricity"), ("6410", "Energy - gas"),
    ("6420", "Water and waste"), ("6500", "Tools and consumables"), ("6510", "Safety equipment"),
    ("6600", "IT services"), ("6610", "Software licences"), ("6700", "Consulting"),
    ("6710", "Legal fees"), ("6720", "Audit fees"), ("6800", "Travel"), ("6810", "Training"),
    ("6900", "Facility rent"), ("6910", "Cleaning services"), ("6920", "Security services"),
    ("7000", "Marketing"), ("7100", "Insurance"), ("7200", "Telephone and internet"),
    ("7300", "Office supplies"), ("7400", "Vehicle costs"), ("7500", "Laboratory testing"),
)
_DEPARTMENTS = (("PROD", "Production"), ("MAINT", "Maintenance"), ("QA", "Quality assurance"),
                ("LOG", "Logistics"), ("ADMIN", "Administration"), ("IT", "Information technology"),
                ("RND", "Research and development"), ("PURCH", "Purchasing"))
_COST_CENTER_NAMES = ("Assembly line 1", "Assembly line 2", "Machining", "Paint shop", "Warehouse",
                      "Tool room", "Quality lab", "Plant office", "Canteen", "Shipping", "Energy", "IT")
_PROJECTS = (("PRJ-AUTO", "Automation upgrade"), ("PRJ-ENERGY", "Energy efficiency"),
             ("PRJ-ERP", "ERP roll-out"), ("PRJ-LINE3", "New assembly line"), ("PRJ-SAFE", "Safety programme"))


def _unused_first(first: str, second: str, country: str, used: set[tuple[str, str, str]]) -> str:
    """`first`, or the next first name part (in list order, no randomness) not yet used with `second` in
    `country`; `first` itself if every one is taken."""
    start = _NAME_PARTS[0].index(first)
    for step in range(len(_NAME_PARTS[0])):
        candidate = _NAME_PARTS[0][(start + step) % len(_NAME_PARTS[0])]
        if (candidate, second, country) not in used:
            return candidate
    return first


_NAME_PARTS = (
    ("Acme", "Apex", "Atlas", "Beacon", "Boreal", "Cascade", "Cobalt", "Crest", "Delta", "Eagle", "Ember",
     "Falcon", "Granite", "Harbor", "Helix", "Iron", "Juniper", "Keystone", "Lumen", "Meridian", "Nova",
     "Orion", "Pioneer", "Quantum", "Ridge", "Summit", "Titan", "Vertex", "Vista", "Zenith"),
    ("Steel", "Plastics", "Logistics", "Components", "Fasteners", "Electric", "Hydraulics", "Packaging",
     "Chemicals", "Tooling", "Bearings", "Castings", "Services", "Energy", "Systems", "Coatings"),
    ("Inc.", "GmbH", "Ltd.", "S.A.", "Co.", "LLC", "AG", "B.V.", "Oy", "AB"),
)
_LANGUAGE = {"US": "en", "DE": "de", "MX": "es", "CN": "zh", "GB": "en", "FR": "fr", "SE": "sv", "FI": "fi"}


def _money(value: Decimal | float) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def cost_center_codes(company: Company) -> list[str]:
    return [f"CC{company.ifs_company}{n:02d}" for n in range(1, len(_COST_CENTER_NAMES) + 1)]


def plant_codes(company: Company) -> list[str]:
    return [f"P{company.ifs_company}", f"P{company.ifs_company}W"]  # main plant and its warehouse site


@dataclass
class Dataset:
    config: SeedConfig
    companies: list[Company]
    code_part_values: list[CodePartValue]
    suppliers: list[Supplier]
    _valid_codes: dict[tuple[str, str], list[str]] = field(default_factory=dict, repr=False)

    # -- lookups ---------------------------------------------------------------------------------
    def company_by_basware_code(self, code: str) -> Company | None:
        return next((c for c in self.companies if c.basware_company_code == code), None)

    def company(self, ifs_company: str) -> Company | None:
        return next((c for c in self.companies if c.ifs_company == ifs_company), None)

    def codes(self, ifs_company: str, dimension: str) -> list[str]:
        """Valid code-part values of one dimension (e.g. "CostCenter") in one company."""
        return self._valid_codes[(ifs_company, dimension)]

    def __post_init__(self) -> None:
        # Invoice generation picks a vendor per document: keep these lists, don't rebuild them per call.
        self.ifs_suppliers: list[Supplier] = [s for s in self.suppliers if s.in_ifs]
        self.basware_vendors: list[Supplier] = [s for s in self.suppliers if s.in_basware]

    # -- invoices --------------------------------------------------------------------------------
    def invoice_last_updated(self, index: int) -> datetime:
        """Seed invoices are approved one after another over the history window before the anchor."""
        cfg = self.config
        span = timedelta(days=cfg.history_days).total_seconds()
        step = span / max(cfg.invoices, 1)
        return cfg.anchor - timedelta(seconds=span) + timedelta(seconds=step * index)

    def invoice_id(self, index: int) -> str:
        return str(uuid.UUID(int=random.Random(f"{self.config.seed}:invoice-id:{index}").getrandbits(128), version=4))

    def invalid_kind(self, index: int) -> str | None:
        rng = random.Random(f"{self.config.seed}:invalid:{index}")
        if rng.random() < self.config.invalid_share:
            return rng.choice(INVALID_KINDS)
        return None

    def invoice(self, index: int, last_updated: datetime | None = None,
                invalid_kind: str | None = None) -> dict[str, Any]:
        """The Basware accounting document number `index` in the shape of Basware's OpenAPI
        AccountingDocumentEntity (status WaitingForTransfer): amounts are JSON numbers, dates `date-time`.

        `invalid_kind` forces one of INVALID_KINDS; by default the seed's `invalid_share` decides. Even an
        invalid document stays valid against Basware's schema: the errors are in the business data.
        """
        rng = random.Random(f"{self.config.seed}:invoice:{index}")
        company = rng.choice(self.companies)
        supplier = self.basware_vendors[rng.randrange(len(self.basware_vendors))]
        when = last_updated or self.invoice_last_updated(index)
        invoice_date = (when - timedelta(days=rng.randint(3, 20))).replace(hour=0, minute=0, second=0,
                                                                            microsecond=0)
        rows = self._coding_rows(rng, company, index)
        net_sum = sum((Decimal(str(r["netTotal"])) for r in rows), Decimal(0))
        tax_sum = sum((Decimal(str(r["taxSum"])) for r in rows), Decimal(0))
        doc: dict[str, Any] = {
            "invoiceId": self.invoice_id(index),
            "bumid": f"BUM-{self.config.seed}-{index:07d}",
            "p2pProcessingMode": "Standard",
            "invoiceNumber": f"INV-{rng.randint(10_000, 99_999)}-{index}",
            "processingStatus": "WaitingForTransfer",
            "companyCode": company.basware_company_code,
            "companyName": company.name,
            "supplierCode": supplier.supplier_id,
            "supplierName": supplier.name,
            "currencyCode": company.currency,
            "netSum": float(net_sum),
            "grossSum": float(net_sum + tax_sum),
            "taxCode": _tax_code(company),
            # One VAT rate per seed invoice: the second rate is unused (no percent, zero tax).
            "taxPercent1": float(company.tax_percent),
            "taxSum1": float(tax_sum),
            "taxPercent2": None,
            "taxSum2": 0.0,
            "invoiceDate": _date_time(invoice_date),
            "dueDate": _date_time(invoice_date + timedelta(days=rng.choice((14, 30, 30, 45, 60)))),
            "paymentBlock": False,
            "paymentTermCode": rng.choice(("NET14", "NET30", "NET45", "NET60")),
            "lastUpdated": _date_time(when),
            "codingRows": rows,
        }
        kind = invalid_kind if invalid_kind is not None else self.invalid_kind(index)
        if kind:
            _make_invalid(doc, kind)
        return doc

    def _coding_rows(self, rng: random.Random, company: Company, index: int) -> list[dict[str, Any]]:
        ifs = company.ifs_company
        rows = []
        for row_index in range(1, rng.choice((1, 1, 2, 2, 3, 4, 6)) + 1):
            net = _money(Decimal(rng.randint(2_000, 2_500_000)) / 100)
            tax = _money(net * company.tax_percent / 100)
            rows.append({
                "externalCode": f"CR-{self.config.seed}-{index:07d}-{row_index}",
                "rowIndex": row_index,
                "accountCode": rng.choice(self.codes(ifs, "Account")),
                "costCenterCode": rng.choice(self.codes(ifs, "CostCenter")),
                "projectCode": rng.choice(self.codes(ifs, "Project")) if rng.random() < 0.2 else None,
                "plant": rng.choice(self.codes(ifs, "Plant")),
                "dimCode1": rng.choice(self.codes(ifs, "Department")),
                "dimName1": "Department",
                "taxCode": _tax_code(company),
                "taxPercent": float(company.tax_percent),
                "netTotal": float(net),
                "taxSum": float(tax),
                "grossTotal": float(net + tax),
                "orderNumber": f"PO{rng.randint(4_500_000, 4_599_999)}" if rng.random() < 0.6 else None,
                "lastComment": None,
            })
        return rows


def _tax_code(company: Company) -> str:
    return f"VAT{company.tax_percent.normalize()}"


def _date_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _make_invalid(doc: dict[str, Any], kind: str) -> None:
    """Turn a valid document into one of the invalid shapes real AP data produces (still schema-valid)."""
    if kind == "unknown_company":
        doc["companyCode"] = "XX99"
    elif kind == "unknown_cost_center":
        doc["codingRows"][0]["costCenterCode"] = "CC-DOES-NOT-EXIST"
    elif kind == "unknown_account":
        doc["codingRows"][0]["accountCode"] = "9999"
    elif kind == "unbalanced":
        doc["grossSum"] = float(Decimal(str(doc["grossSum"])) + Decimal("10.00"))
    elif kind == "malformed":
        # What the schema lets through but no ERP can book: no supplier, no gross amount, no invoice date.
        doc["supplierCode"] = ""
        doc["grossSum"] = None
        doc["invoiceDate"] = None
    else:
        raise ValueError(f"unknown invalid document kind {kind!r}; known: {', '.join(INVALID_KINDS)}")


def build_dataset(config: SeedConfig | None = None) -> Dataset:
    config = config or SeedConfig()
    companies = list(_COMPANIES)
    values, valid_codes = _code_part_values(companies)
    suppliers = _suppliers(config, companies)
    return Dataset(config, companies, values, suppliers, valid_codes)


def _code_part_values(companies: list[Company]) -> tuple[list[CodePartValue], dict[tuple[str, str], list[str]]]:
    valid_from = datetime(2020, 1, 1, tzinfo=UTC)
    valid_until = datetime(2099, 12, 31, tzinfo=UTC)
    values: list[CodePartValue] = []
    valid_codes: dict[tuple[str, str], list[str]] = {}

    def add(company: Company, dimension: str, items: list[tuple[str, str]]) -> None:
        letter = company.code_part_for(dimension)
        valid_codes[(company.ifs_company, dimension)] = [code for code, _ in items]
        values.extend(CodePartValue(company.ifs_company, letter, code, text, valid_from, valid_until)
                      for code, text in items)

    for company in companies:
        add(company, "Account", list(_ACCOUNTS))
        add(company, "CostCenter", list(zip(cost_center_codes(company), _COST_CENTER_NAMES, strict=False)))
        add(company, "Department", list(_DEPARTMENTS))
        add(company, "Plant", [(plant_codes(company)[0], f"{company.name} main plant"),
                               (plant_codes(company)[1], f"{company.name} warehouse")])
        add(company, "Project", list(_PROJECTS))
    return values, valid_codes


def _suppliers(config: SeedConfig, companies: list[Company]) -> list[Supplier]:
    rng = random.Random(f"{config.seed}:master-data")
    suppliers: list[Supplier] = []
    names_used: set[tuple[str, str, str]] = set()
    extra = int(config.suppliers * config.basware_only_vendor_share)
    for n in range(config.suppliers + extra):
        ifs_known = n < config.suppliers
        country = rng.choice(("US", "DE", "MX", "CN", "GB", "FR", "SE", "FI"))
        created = config.anchor - timedelta(days=rng.randint(30, 2_000), seconds=rng.randint(0, 86_399))
        modified = created + timedelta(days=rng.randint(0, 29))
        first, second, form = (rng.choice(_NAME_PARTS[0]), rng.choice(_NAME_PARTS[1]), rng.choice(_NAME_PARTS[2]))
        if not ifs_known:
            # A vendor IFS does not know must not look like a supplier it does (same words, same country):
            # the connector's duplicate check would rightly hold it, and tests plant duplicates on purpose.
            first = _unused_first(first, second, country, names_used)
        names_used.add((first, second, country))
        suppliers.append(Supplier(
            supplier_id=f"{10_000 + n}",
            name=f"{first} {second} {form}",
            country=country,
            default_language=_LANGUAGE[country],
            currency={"US": "USD", "MX": "MXN", "CN": "CNY", "GB": "GBP", "SE": "SEK"}.get(country, "EUR"),
            vat_no=f"{country}{rng.randint(10**8, 10**9 - 1)}",
            creation_date=created,
            modified_date=modified,
            companies=tuple(sorted(c.ifs_company for c in rng.sample(companies, rng.randint(1, 4)))),
            in_ifs=ifs_known,
            in_basware=(not ifs_known) or rng.random() < config.basware_vendor_share,
        ))
    return suppliers
