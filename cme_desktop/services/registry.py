"""The services of one unlocked vault, built once by the composition root (``app.py``).

Widgets receive this object and call its services; they never see a
session or SQL. Each service is made on first use, and its module is loaded then: the
case list is shown after an unlock without loading importing, reports or backups.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cme_desktop.services.cases.case_list import CaseList
    from cme_desktop.services.cases.drafts import DraftService
    from cme_desktop.services.cases.erasure import ErasureService
    from cme_desktop.services.cases.retention import RetentionService
    from cme_desktop.services.cases.service import CaseService
    from cme_desktop.services.documents.chronology import ChronologyService
    from cme_desktop.services.documents.letters import LetterService
    from cme_desktop.services.documents.subject_access import SubjectAccessService
    from cme_desktop.services.documents.visit_sheet import VisitSheetService
    from cme_desktop.services.escalation.service import EscalationService
    from cme_desktop.services.importing.commit import ImportService
    from cme_desktop.services.protection.exports import ExportService
    from cme_desktop.services.protection.outputs import ProtectedFiles
    from cme_desktop.services.referral.service import ReferralService
    from cme_desktop.services.reports.service import Statistics
    from cme_desktop.services.settings import SettingsService
    from cme_desktop.services.vault.backups import Backups
    from cme_desktop.services.vault.database import Database
    from cme_desktop.services.vault.unlock import Vault


class AppServices:
    """Everything the window may ask of an unlocked vault."""

    def __init__(self, vault: Vault, db: Database) -> None:
        self.vault = vault
        self.db = db

    @cached_property
    def cases(self) -> CaseService:
        from cme_desktop.services.cases.service import CaseService

        return CaseService(self.db)

    @cached_property
    def case_list(self) -> CaseList:
        from cme_desktop.services.cases.case_list import CaseList

        return CaseList(self.db)

    @cached_property
    def drafts(self) -> DraftService:
        from cme_desktop.services.cases.drafts import DraftService

        return DraftService(self.db)

    @cached_property
    def settings(self) -> SettingsService:
        from cme_desktop.services.settings import SettingsService

        return SettingsService(self.db)

    @cached_property
    def referrals(self) -> ReferralService:
        from cme_desktop.services.referral.service import ReferralService

        return ReferralService(self.db)

    @cached_property
    def escalation(self) -> EscalationService:
        from cme_desktop.services.escalation.service import EscalationService

        return EscalationService(self.db)

    @cached_property
    def exports(self) -> ExportService:
        from cme_desktop.services.protection.exports import ExportService

        return ExportService(self.db)

    @cached_property
    def protected_files(self) -> ProtectedFiles:
        from cme_desktop.services.protection.outputs import ProtectedFiles

        return ProtectedFiles(self.db)

    @cached_property
    def importing(self) -> ImportService:
        from cme_desktop.services.importing.commit import ImportService

        return ImportService(self.db)

    @cached_property
    def visit_sheets(self) -> VisitSheetService:
        # Its module loads reportlab: only when the first sheet is asked for.
        from cme_desktop.services.documents.visit_sheet import VisitSheetService

        return VisitSheetService(self.db)

    @cached_property
    def chronology(self) -> ChronologyService:
        # Its module loads reportlab: only when the first chronology is asked for.
        from cme_desktop.services.documents.chronology import ChronologyService

        return ChronologyService(self.db)

    @cached_property
    def letters(self) -> LetterService:
        # Loaded with the first letter; its documents load reportlab only when one is saved.
        from cme_desktop.services.documents.letters import LetterService

        return LetterService(self.db)

    @cached_property
    def statistics(self) -> Statistics:
        from cme_desktop.services.reports.service import Statistics

        return Statistics(self.db)

    @cached_property
    def backups(self) -> Backups:
        from cme_desktop.services.vault.backups import Backups

        return Backups(self.db)

    @cached_property
    def retention(self) -> RetentionService:
        from cme_desktop.services.cases.retention import RetentionService

        return RetentionService(self.db)

    @cached_property
    def erasure(self) -> ErasureService:
        from cme_desktop.services.cases.erasure import ErasureService

        return ErasureService(self.db)

    @cached_property
    def subject_access(self) -> SubjectAccessService:
        # Its pack loads reportlab only when the first one is made.
        from cme_desktop.services.documents.subject_access import SubjectAccessService

        return SubjectAccessService(self.db)

    def close(self) -> None:
        """Lock: close the database and forget the key."""
        self.db.close()
