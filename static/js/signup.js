// Sign-up: suggest the workspace address from the business name as it is typed, until the address
// is edited by hand. The same rule as tenants.models.workspace_address_suggestion.
document.addEventListener("DOMContentLoaded", function () {
  const form = document.querySelector("form[data-address-suggest]");
  if (!form) return;
  const company = form.querySelector("input[name=company]");
  const address = form.querySelector("input[name=slug]");
  if (!company || !address) return;
  let edited = address.value !== "";
  function suggest(name) {
    const words = name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").replace(/^[^a-z]+/, "")
      .slice(0, 40).replace(/-+$/, "");
    return words.length >= 3 ? words : "";
  }
  address.addEventListener("input", function () { edited = address.value !== ""; });
  company.addEventListener("input", function () { if (!edited) address.value = suggest(company.value); });
});
