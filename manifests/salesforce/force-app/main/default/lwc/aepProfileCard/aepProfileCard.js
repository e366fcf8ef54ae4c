import { LightningElement, api } from "lwc";
import getProfile from "@salesforce/apex/AepProfileController.getProfile";
import LOCALE from "@salesforce/i18n/locale";
import CUSTOMER_PROFILE from "@salesforce/label/c.AEP_Customer_Profile";
import NO_PROFILE_FOUND from "@salesforce/label/c.AEP_No_Profile_Found";
import PROFILE_UNAVAILABLE from "@salesforce/label/c.AEP_Profile_Unavailable";
import REFRESH from "@salesforce/label/c.AEP_Refresh";
import LOADING from "@salesforce/label/c.AEP_Loading";
import LOAD_FAILED from "@salesforce/label/c.AEP_Load_Failed";
import PROFILE_UPDATED from "@salesforce/label/c.AEP_Profile_Updated";
import HOW_MATCHED from "@salesforce/label/c.AEP_How_Matched";
import NONE from "@salesforce/label/c.AEP_None";
import OUTCOME_MATCHED from "@salesforce/label/c.AEP_Outcome_Matched";
import OUTCOME_NO_PROFILE from "@salesforce/label/c.AEP_Outcome_No_Profile";
import OUTCOME_NOT_TRIED from "@salesforce/label/c.AEP_Outcome_Not_Tried";
import OUTCOME_INVALID from "@salesforce/label/c.AEP_Outcome_Invalid";
import OUTCOME_MISSING from "@salesforce/label/c.AEP_Outcome_Missing";
import OUTCOME_NOT_SERVABLE from "@salesforce/label/c.AEP_Outcome_Not_Servable";
import previewUpdate from "@salesforce/apex/AepProfileController.previewUpdate";
import applyUpdate from "@salesforce/apex/AepProfileController.applyUpdate";
import UPDATE_RECORD from "@salesforce/label/c.AEP_Update_Record";
import REVIEW_CHANGES from "@salesforce/label/c.AEP_Review_Changes";
import REVIEW_OUTDATED from "@salesforce/label/c.AEP_Review_Outdated";
import NOTHING_TO_WRITE from "@salesforce/label/c.AEP_Nothing_To_Write";
import CONFIRM_WRITE from "@salesforce/label/c.AEP_Confirm_Write";
import CANCEL from "@salesforce/label/c.AEP_Cancel";
import KEPT_FILL_BLANK from "@salesforce/label/c.AEP_Kept_Fill_Blank";
import KEPT_USER_EDIT from "@salesforce/label/c.AEP_Kept_User_Edit";
import UNCHANGED from "@salesforce/label/c.AEP_Unchanged";
import NO_VALUE from "@salesforce/label/c.AEP_No_Value";
import CHANGE_LINE from "@salesforce/label/c.AEP_Change_Line";
import CHANGE_WRITE from "@salesforce/label/c.AEP_Change_Write";
import CHANGE_REMOVED from "@salesforce/label/c.AEP_Change_Removed";
import CHANGE_HIDDEN from "@salesforce/label/c.AEP_Change_Hidden";
import TIME_OF_WRITING from "@salesforce/label/c.AEP_Time_Of_Writing";
import WRITTEN from "@salesforce/label/c.AEP_Written";
import UP_TO_DATE from "@salesforce/label/c.AEP_Up_To_Date";
import PREVIEW_FAILED from "@salesforce/label/c.AEP_Preview_Failed";
import UPDATE_FAILED from "@salesforce/label/c.AEP_Update_Failed";

// The component's own words are Custom Labels (translated in the org's Translation Workbench); the
// card's words and formats come from the connector in the user's LOCALE.
const STATUS_TITLES = {
    not_found: NO_PROFILE_FOUND,
    not_servable: PROFILE_UNAVAILABLE
};
const OUTCOMES = {
    matched: OUTCOME_MATCHED,
    no_profile: OUTCOME_NO_PROFILE,
    not_tried: OUTCOME_NOT_TRIED,
    invalid: OUTCOME_INVALID,
    missing: OUTCOME_MISSING,
    not_servable: OUTCOME_NOT_SERVABLE
};

const KEPT = {
    fill_blank: KEPT_FILL_BLANK,
    never_overwrite_human_edit: KEPT_USER_EDIT,
    unchanged: UNCHANGED,
    no_value: NO_VALUE
};

// A label's {0}, {1}… replaced in one pass, so an argument is never read as a placeholder (or a "$&").
function format(label, ...args) {
    return label.replace(/\{(\d+)\}/g, (placeholder, index) =>
        Number(index) < args.length ? String(args[Number(index)]) : placeholder);
}

function shown(value) {
    return value === null || value === undefined || value === "" ? "—" : String(value);
}

// One line of the reviewed diff: old → new, or why the field stays as it is.
function describeChange(change) {
    const field = change.target.split(".").slice(-1)[0];
    return format(CHANGE_LINE, change.label, field, describeOutcome(change));
}

function describeOutcome(change) {
    if (change.policy === "consent" || change.policy === "label") {
        return change.action === "remove"
            ? format(CHANGE_REMOVED, shown(change.old), change.reason)
            : format(CHANGE_HIDDEN, change.reason);
    }
    if (change.action === "keep") {
        return KEPT[change.policy] || change.policy;
    }
    return format(CHANGE_WRITE, shown(change.old), change.stamp ? TIME_OF_WRITING : shown(change.new));
}

export default class AepProfileCard extends LightningElement {
    _recordId;
    card;
    error;
    loading = false;
    labels = {
        refresh: REFRESH,
        loading: LOADING,
        howMatched: HOW_MATCHED,
        none: NONE,
        updateRecord: UPDATE_RECORD,
        reviewChanges: REVIEW_CHANGES,
        reviewOutdated: REVIEW_OUTDATED,
        nothingToWrite: NOTHING_TO_WRITE,
        confirmWrite: CONFIRM_WRITE,
        cancel: CANCEL
    };
    review;
    reviewChanged = false;
    message;

    @api
    get recordId() {
        return this._recordId;
    }

    set recordId(value) {
        this._recordId = value;
        this.load();
    }

    async load() {
        if (!this._recordId) {
            return;
        }
        this.loading = true;
        this.error = undefined;
        try {
            const body = JSON.parse(await getProfile({ recordId: this._recordId, locale: LOCALE }));
            this.card = body.card || body; // 404/422 bodies carry the card under "card"
        } catch (e) {
            this.card = undefined;
            this.error = (e && e.body && e.body.message) || LOAD_FAILED;
        } finally {
            this.loading = false;
        }
    }

    handleRefresh() {
        this.load();
    }

    // "Update record": first the diff the connector would write, then exactly that write on confirm.
    async handleReview() {
        this.message = undefined;
        this.reviewChanged = false;
        try {
            this.review = this.toReview(JSON.parse(await previewUpdate({ recordId: this._recordId })));
        } catch (e) {
            this.review = undefined;
            this.message = (e && e.body && e.body.message) || PREVIEW_FAILED;
        }
    }

    async handleConfirm() {
        try {
            const body = JSON.parse(await applyUpdate({ recordId: this._recordId, planToken: this.review.token }));
            if (body.error === "plan_changed") {
                this.review = this.toReview(body);
                this.reviewChanged = true;
                return;
            }
            this.review = undefined;
            this.message = body.status === "written" ? WRITTEN : UP_TO_DATE;
            this.load();
        } catch (e) {
            this.message = (e && e.body && e.body.message) || UPDATE_FAILED;
        }
    }

    handleCancel() {
        this.review = undefined;
        this.reviewChanged = false;
    }

    toReview(body) {
        const changes = body.changes || [];
        return {
            token: body.plan_token,
            writes: body.writes > 0,
            empty: !body.writes,
            outcome: body.outcome,
            rows: changes.map((change, index) => ({
                rowKey: `${change.record}-${change.target}-${index}`,
                text: describeChange(change),
                rowClass: change.action === "keep" ? "change slds-text-color_weak" : "change"
            }))
        };
    }

    get canUpdate() {
        return this.found && this.card.match && this.card.match.writable && !this.review;
    }

    get found() {
        return this.card && this.card.status === "found";
    }

    get title() {
        if (!this.card) {
            return CUSTOMER_PROFILE;
        }
        if (this.card.status !== "found") {
            return STATUS_TITLES[this.card.status] || CUSTOMER_PROFILE;
        }
        const name = this.attributes.find((item) => item.key === "name");
        return name && name.display !== "—" ? name.display : CUSTOMER_PROFILE;
    }

    get updated() {
        const when = this.card && (this.card.lastModifiedDisplay || this.card.lastModifiedAt);
        return format(PROFILE_UPDATED, when || "—");
    }

    get attributes() {
        return this.sections.filter((s) => s.kind === "attributes").flatMap((s) => s.items);
    }

    get sections() {
        if (!this.card || !this.card.sections) {
            return [];
        }
        return this.card.sections.map((section) => ({
            ...section,
            isAttributes: section.kind === "attributes",
            isEmpty: !section.notice && section.items.length === 0,
            items: section.items.map((item, index) => ({
                ...item,
                rowKey: `${section.key}-${item.key || item.id || index}`,
                text: section.kind === "attributes" ? item.display : this.describe(section.kind, item),
                badgeClass: item.badge ? `slds-badge badge-${item.badge.level}` : "",
                detailClass: item.hidden ? "slds-item_detail slds-text-color_weak hidden" : "slds-item_detail"
            }))
        }));
    }

    describe(kind, item) {
        if (kind === "audiences") {
            return item.name;
        }
        const amount = item.display_amount ? ` · ${item.display_amount}` : "";
        const day = item.date_display || (item.timestamp || "").slice(0, 10);
        return `${day} ${item.label}: ${item.title}${amount}`;
    }

    get attempts() {
        const match = this.card && this.card.match;
        return match
            ? match.attempts.map((a, i) => ({ ...a, rowKey: `${a.namespace}-${i}`, outcomeText: OUTCOMES[a.outcome] || a.outcome }))
            : [];
    }
}
