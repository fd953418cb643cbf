"""Where each entity lives in IFS: projection, entity set, keys. Names vary by IFS release, so they
are configuration; the defaults are the contract the sandbox simulator implements."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class EntitySetConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    projection: str
    entity_set: str
    keys: tuple[str, ...]
    modified_column: str | None = None  # for incremental reads; None = no such column


class PostingProposalConfig(EntitySetConfig):
    rows_navigation: str = "PostingProposalArray"
    rows_entity_set: str = "ManSuppInvoicePostingSet"
    rows_keys: tuple[str, ...] = ("Company", "InvoiceId", "RowNo")


class IfsEntities(BaseModel):
    model_config = ConfigDict(frozen=True)

    suppliers: EntitySetConfig = Field(default_factory=lambda: EntitySetConfig(
        projection="SupplierHandling", entity_set="SupplierInfoGeneralSet",
        keys=("SupplierId",), modified_column="ModifiedDate"))
    supplier_companies: EntitySetConfig = Field(default_factory=lambda: EntitySetConfig(
        projection="SupplierHandling", entity_set="SupplierCompanySet",
        keys=("SupplierId", "Company"), modified_column="ModifiedDate"))
    posting_proposals: PostingProposalConfig = Field(default_factory=lambda: PostingProposalConfig(
        projection="ManualSupplierInvoiceHandling", entity_set="ManSuppInvoiceSet",
        keys=("Company", "InvoiceId"), modified_column="ModifiedDate"))
    companies: EntitySetConfig = Field(default_factory=lambda: EntitySetConfig(
        projection="CompanyHandling", entity_set="CompanySet", keys=("Company",)))
    code_parts: EntitySetConfig = Field(default_factory=lambda: EntitySetConfig(
        projection="AccountingCodePartsHandling", entity_set="AccountingCodePartSet",
        keys=("Company", "CodePart")))
    code_part_values: EntitySetConfig = Field(default_factory=lambda: EntitySetConfig(
        projection="CodePartValuesHandling", entity_set="CodePartValueSet",
        keys=("Company", "CodePart", "CodePartValue"), modified_column="ModifiedDate"))
    # For entities without a modified-date column: IFS logs every write by logical unit (LuName).
    history_log: EntitySetConfig = Field(default_factory=lambda: EntitySetConfig(
        projection="HistoryLogHandling", entity_set="HistoryLogOverviewSet", keys=("LogId",),
        modified_column="TimeStamp"))
