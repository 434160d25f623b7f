// GOV.UK Frontend's enhancements (the pages work without them): mark the page as scripted,
// then start every component on it.
import { initAll } from "/static/govuk-frontend/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
