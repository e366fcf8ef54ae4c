import { createElement } from "lwc";
import AepProfileCard from "c/aepProfileCard";
import getProfile from "@salesforce/apex/AepProfileController.getProfile";

import previewUpdate from "@salesforce/apex/AepProfileController.previewUpdate";
import applyUpdate from "@salesforce/apex/AepProfileController.applyUpdate";

jest.mock("@salesforce/apex/AepProfileController.getProfile", () => ({ default: jest.fn() }), { virtual: true });
jest.mock("@salesforce/i18n/locale", () => ({ default: "fr-FR" }), { virtual: true });
// Custom Labels are not mocked: sfdx-lwc-jest resolves each to its name ("c.AEP_Refresh"), which proves
// the component shows the label and not a literal.
jest.mock("@salesforce/apex/AepProfileController.previewUpdate", () => ({ default: jest.fn() }), { virtual: true });
jest.mock("@salesforce/apex/AepProfileController.applyUpdate", () => ({ default: jest.fn() }), { virtual: true });
// The review line's templates are mocked with their French translations, so the tests prove the component
// fills the labels' placeholders (no-break space before ":" included) instead of building English text.
jest.mock("@salesforce/label/c.AEP_Change_Line", () => ({ default: "{0} ({1})\u00a0: {2}" }), { virtual: true });
jest.mock("@salesforce/label/c.AEP_Change_Write", () => ({ default: "{0} → {1}" }), { virtual: true });
jest.mock("@salesforce/label/c.AEP_Change_Removed", () => ({ default: "{0} → — (retiré\u00a0: {1})" }), { virtual: true });
jest.mock("@salesforce/label/c.AEP_Change_Hidden", () => ({ default: "masqué\u00a0: {0}" }), { virtual: true });

const NBSP = "\u00a0";

const FOUND = {
    status: "found",
    profileId: "DLKCcgmRP13BfdqC2HUrXfTuJE",
    lastModifiedAt: "2026-11-09T17:00:00Z",
    match: { matched: null, confidence: 1, writable: true, attempts: [
        { namespace: "CRMID", source: "crm_id", value: "CR***01", outcome: "matched", reason: "AEP returned a profile", confidence: 1 }
    ] },
    sections: [
        { key: "customer", title: "Customer", kind: "attributes", freshness: null, notice: null, items: [
            { key: "name", label: "Name", value: { firstName: "Elena" }, display: "Elena Chen", format: "name", badge: null }
        ] },
        { key: "value", title: "Value and risk", kind: "attributes", freshness: null, notice: null, items: [
            { key: "churn_propensity", label: "Churn propensity", value: 0.77, display: "77%", format: "percent",
              badge: { level: "high", label: "High risk" } }
        ] },
        { key: "audiences", title: "Audiences", kind: "audiences", freshness: null, notice: null, items: [] },
        { key: "purchases", title: "Recent purchases", kind: "events", freshness: null,
          notice: "Recent activity is not available for this AEP credential or licence.", items: [] }
    ]
};

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

function mount(recordId) {
    const element = createElement("c-aep-profile-card", { is: AepProfileCard });
    element.recordId = recordId;
    document.body.appendChild(element);
    return element;
}

describe("c-aep-profile-card", () => {
    afterEach(() => {
        while (document.body.firstChild) {
            document.body.removeChild(document.body.firstChild);
        }
        jest.clearAllMocks();
    });

    it("asks Apex for the record's profile and shows the card", async () => {
        getProfile.mockResolvedValue(JSON.stringify(FOUND));
        const element = mount("0035g0000000001AAA");
        await flush();
        expect(getProfile).toHaveBeenCalledWith({ recordId: "0035g0000000001AAA", locale: "fr-FR" });
        const card = element.shadowRoot.querySelector("lightning-card");
        expect(card.title).toBe("Elena Chen");
        const text = element.shadowRoot.textContent;
        expect(text).toContain("77%");
        expect(text).toContain("High risk");
        expect(text).toContain("CRMID");
        expect(element.shadowRoot.querySelector(".notice").textContent).toContain("not available");
    });

    it("shows the connector's display strings and the labels of its own words", async () => {
        getProfile.mockResolvedValue(JSON.stringify({ ...FOUND, locale: "fr_FR",
            lastModifiedDisplay: "9 nov. 2026, 17:00 UTC" }));
        const element = mount("0035g0000000001AAA");
        await flush();
        expect(element.shadowRoot.querySelector(".updated").textContent).toBe("c.AEP_Profile_Updated");
        expect(element.shadowRoot.querySelector(".match li").textContent).toContain("c.AEP_Outcome_Matched");
        expect(element.shadowRoot.querySelector("lightning-button-icon").alternativeText).toBe("c.AEP_Refresh");
    });

    it("shows the no-profile state from a 404 body", async () => {
        getProfile.mockResolvedValue(JSON.stringify({ error: "profile_not_found", message: "none",
            card: { ...FOUND, status: "not_found", profileId: null, sections: [] } }));
        const element = mount("0035g0000000002AAA");
        await flush();
        expect(element.shadowRoot.querySelector("lightning-card").title).toBe("c.AEP_No_Profile_Found");
    });

    it("shows the service's message when the call fails", async () => {
        getProfile.mockRejectedValue({ body: { message: "The customer profile service answered 503." } });
        const element = mount("5005g0000000001AAA");
        await flush();
        expect(element.shadowRoot.querySelector(".error").textContent).toBe("The customer profile service answered 503.");
    });

    it("loads again on refresh", async () => {
        getProfile.mockResolvedValue(JSON.stringify(FOUND));
        const element = mount("0035g0000000001AAA");
        await flush();
        element.shadowRoot.querySelector("lightning-button-icon").click();
        await flush();
        expect(getProfile).toHaveBeenCalledTimes(2);
    });

    it("shows a field the agent policy hides as a muted line, never its value", async () => {
        const hidden = JSON.parse(JSON.stringify(FOUND));
        hidden.sections[1].items[0] = { key: "churn_propensity", label: "Churn propensity", value: null,
            display: "hidden: no personalisation consent", format: "percent", badge: null, hidden: true,
            hidden_reason: "no personalisation consent" };
        hidden.sections[2] = { key: "audiences", title: "Audiences", kind: "audiences", freshness: null, items: [],
            notice: "hidden: no personalisation consent", hidden: "no personalisation consent" };
        getProfile.mockResolvedValue(JSON.stringify(hidden));
        const element = mount("0035g0000000023AAA");
        await flush();
        const text = element.shadowRoot.textContent;
        expect(text).not.toContain("77%");
        expect(text).not.toContain("High risk");
        expect(element.shadowRoot.querySelector("dd.hidden").textContent).toContain("hidden: no personalisation consent");
        expect(element.shadowRoot.querySelector(".notice").textContent).toBe("hidden: no personalisation consent");
    });

    const PREVIEW = {
        record: "salesforce:Case:5005g0000000001AAA", outcome: null, writes: 1, plan_token: "token-1",
        changes: [
            { record: "salesforce:Contact:0035g0000000001AAA", target: "Contact.AEP_Lifetime_Value__c",
              label: "Lifetime value", old: null, new: 921.74, action: "write", policy: "overwrite", reason: null,
              stamp: false },
            { record: "salesforce:Case:5005g0000000001AAA", target: "Case.AEP_Loyalty_Tier__c", label: "Loyalty tier",
              old: "silver", new: "gold", action: "keep", policy: "fill_blank", reason: null, stamp: false },
            { record: "salesforce:Case:5005g0000000001AAA", target: "Case.AEP_Churn_Risk__c", label: "Churn propensity",
              old: null, new: null, action: "keep", policy: "consent", reason: "no personalisation consent", stamp: false }
        ]
    };

    it("reviews the changes before writing, then writes with the plan token", async () => {
        getProfile.mockResolvedValue(JSON.stringify(FOUND));
        previewUpdate.mockResolvedValue(JSON.stringify(PREVIEW));
        applyUpdate.mockResolvedValue(JSON.stringify({ ...PREVIEW, status: "written" }));
        const element = mount("5005g0000000001AAA");
        await flush();
        element.shadowRoot.querySelector("lightning-button.update").click();
        await flush();
        expect(previewUpdate).toHaveBeenCalledWith({ recordId: "5005g0000000001AAA" });
        expect(applyUpdate).not.toHaveBeenCalled();
        const lines = [...element.shadowRoot.querySelectorAll("li.change")].map((li) => li.textContent);
        expect(lines).toEqual([
            `Lifetime value (AEP_Lifetime_Value__c)${NBSP}: — → 921.74`,
            `Loyalty tier (AEP_Loyalty_Tier__c)${NBSP}: c.AEP_Kept_Fill_Blank`,
            `Churn propensity (AEP_Churn_Risk__c)${NBSP}: masqué${NBSP}: no personalisation consent`
        ]);
        expect(element.shadowRoot.querySelector(".review h3").textContent).toBe("c.AEP_Review_Changes");
        expect(element.shadowRoot.querySelector("lightning-button.confirm").label).toBe("c.AEP_Confirm_Write");
        expect(element.shadowRoot.querySelector("lightning-button.cancel").label).toBe("c.AEP_Cancel");
        expect(element.shadowRoot.querySelector(".nothing")).toBeNull();
        element.shadowRoot.querySelector("lightning-button.confirm").click();
        await flush();
        expect(applyUpdate).toHaveBeenCalledWith({ recordId: "5005g0000000001AAA", planToken: "token-1" });
        expect(element.shadowRoot.querySelector(".review")).toBeNull();
        expect(element.shadowRoot.querySelector(".status").textContent).toBe("c.AEP_Written");
        expect(getProfile).toHaveBeenCalledTimes(2);
    });

    it("shows the new diff instead of writing when the plan changed", async () => {
        getProfile.mockResolvedValue(JSON.stringify(FOUND));
        previewUpdate.mockResolvedValue(JSON.stringify(PREVIEW));
        const changed = { ...PREVIEW, plan_token: "token-2", error: "plan_changed", message: "changed",
            changes: [{ ...PREVIEW.changes[0], new: 1000 }] };
        applyUpdate.mockResolvedValue(JSON.stringify(changed));
        const element = mount("5005g0000000001AAA");
        await flush();
        element.shadowRoot.querySelector("lightning-button.update").click();
        await flush();
        element.shadowRoot.querySelector("lightning-button.confirm").click();
        await flush();
        expect(element.shadowRoot.querySelector(".changed").textContent).toBe("c.AEP_Review_Outdated");
        const lines = [...element.shadowRoot.querySelectorAll("li.change")].map((li) => li.textContent);
        expect(lines).toEqual([`Lifetime value (AEP_Lifetime_Value__c)${NBSP}: — → 1000`]);
        element.shadowRoot.querySelector("lightning-button.confirm").click();
        await flush();
        expect(applyUpdate).toHaveBeenLastCalledWith({ recordId: "5005g0000000001AAA", planToken: "token-2" });
    });

    it("words every kind of change with labels and fills a reason in as plain text", async () => {
        getProfile.mockResolvedValue(JSON.stringify(FOUND));
        const change = { record: "salesforce:Contact:0035g0000000001AAA", old: null, new: null, reason: null,
            stamp: false };
        previewUpdate.mockResolvedValue(JSON.stringify({ ...PREVIEW, writes: 2, changes: [
            { ...change, target: "Contact.Email", label: "E-mail", old: "e@x.test", action: "remove", policy: "label",
              reason: "$& {1} C2 label" },
            { ...change, target: "Contact.AEP_Synced_At__c", label: "Synced at", old: "2026-11-01", new: "now",
              action: "write", policy: "overwrite", stamp: true },
            { ...change, target: "Contact.Title", label: "Title", action: "keep", policy: "never_overwrite_human_edit" },
            { ...change, target: "Contact.Phone", label: "Phone", action: "keep", policy: "unchanged" },
            { ...change, target: "Contact.Fax", label: "Fax", action: "keep", policy: "no_value" },
            { ...change, target: "Contact.Department", label: "Department", action: "keep", policy: "some_new_policy" }
        ] }));
        const element = mount("0035g0000000001AAA");
        await flush();
        expect(element.shadowRoot.querySelector("lightning-button.update").label).toBe("c.AEP_Update_Record");
        element.shadowRoot.querySelector("lightning-button.update").click();
        await flush();
        const lines = [...element.shadowRoot.querySelectorAll("li.change")].map((li) => li.textContent);
        expect(lines).toEqual([
            `E-mail (Email)${NBSP}: e@x.test → — (retiré${NBSP}: $& {1} C2 label)`,
            `Synced at (AEP_Synced_At__c)${NBSP}: 2026-11-01 → c.AEP_Time_Of_Writing`,
            `Title (Title)${NBSP}: c.AEP_Kept_User_Edit`,
            `Phone (Phone)${NBSP}: c.AEP_Unchanged`,
            `Fax (Fax)${NBSP}: c.AEP_No_Value`,
            `Department (Department)${NBSP}: some_new_policy`
        ]);
        const text = element.shadowRoot.textContent;
        for (const english of ["kept:", "unchanged", "no value", "time of writing", "removed:", "hidden:"]) {
            expect(text).not.toContain(english);
        }
    });

    it("says when there is nothing to write and closes the review on cancel", async () => {
        getProfile.mockResolvedValue(JSON.stringify(FOUND));
        previewUpdate.mockResolvedValue(JSON.stringify({ ...PREVIEW, writes: 0, plan_token: "token-0",
            changes: [PREVIEW.changes[1]] }));
        const element = mount("5005g0000000001AAA");
        await flush();
        element.shadowRoot.querySelector("lightning-button.update").click();
        await flush();
        expect(element.shadowRoot.querySelector(".nothing").textContent).toBe("c.AEP_Nothing_To_Write");
        expect(element.shadowRoot.querySelector("lightning-button.confirm")).toBeNull();
        expect(element.shadowRoot.querySelector("lightning-button.update")).toBeNull();
        element.shadowRoot.querySelector("lightning-button.cancel").click();
        await flush();
        expect(element.shadowRoot.querySelector(".review")).toBeNull();
        expect(element.shadowRoot.querySelector("lightning-button.update")).not.toBeNull();
        expect(applyUpdate).not.toHaveBeenCalled();
    });

    it("shows the labelled status and errors of the review and the write", async () => {
        getProfile.mockResolvedValue(JSON.stringify(FOUND));
        previewUpdate.mockRejectedValueOnce(new Error("network"));
        const element = mount("5005g0000000001AAA");
        await flush();
        element.shadowRoot.querySelector("lightning-button.update").click();
        await flush();
        expect(element.shadowRoot.querySelector(".review")).toBeNull();
        expect(element.shadowRoot.querySelector(".status").textContent).toBe("c.AEP_Preview_Failed");

        previewUpdate.mockResolvedValue(JSON.stringify(PREVIEW));
        applyUpdate.mockRejectedValueOnce(new Error("network"));
        element.shadowRoot.querySelector("lightning-button.update").click();
        await flush();
        element.shadowRoot.querySelector("lightning-button.confirm").click();
        await flush();
        expect(element.shadowRoot.querySelector(".status").textContent).toBe("c.AEP_Update_Failed");
        expect(element.shadowRoot.querySelector(".review")).not.toBeNull();

        applyUpdate.mockResolvedValueOnce(JSON.stringify({ ...PREVIEW, status: "unchanged" }));
        element.shadowRoot.querySelector("lightning-button.confirm").click();
        await flush();
        expect(element.shadowRoot.querySelector(".status").textContent).toBe("c.AEP_Up_To_Date");
        expect(element.shadowRoot.querySelector(".review")).toBeNull();
    });
});
