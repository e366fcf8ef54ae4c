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
    fill_blank: "kept: only filled when blank",
    never_overwrite_human_edit: "kept: changed by a user",
    unchanged: "unchanged",
    no_value: "no value in the profile"
};

function shown(value) {
    return value === null || value === undefined || value === "" ? "—" : String(value);
}

// One line of the reviewed diff: old → new, or why the field stays as it is.
function describeChange(change) {
    const where = `${change.label} (${change.target.split(".").slice(-1)[0]})`;
    if (change.policy === "consent" || change.policy === "label") {
        return change.action === "remove"
            ? `${where}: ${shown(change.old)} → — (removed: ${change.reason})`
            : `${where}: hidden: ${change.reason}`;
    }
    if (change.action === "keep") {
        return `${where}: ${KEPT[change.policy] || change.policy}`;
    }
    return `${where}: ${shown(change.old)} → ${change.stamp ? "(time of writing)" : shown(change.new)}`;
}

export default class AepProfileCard extends LightningElement {
    _recordId;
    card;
    error;
    loading = false;
    labels = { refresh: REFRESH, loading: LOADING, howMatched: HOW_MATCHED, none: NONE };
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
            this.message = (e && e.body && e.body.message) || "The changes could not be computed.";
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
            this.message = body.status === "written" ? "Written to the record." : "Nothing to write: the record is up to date.";
            this.load();
        } catch (e) {
            this.message = (e && e.body && e.body.message) || "The record could not be updated.";
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
        return PROFILE_UPDATED.replace("{0}", when || "—");
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
