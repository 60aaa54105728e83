// The predictor form (anywidget front end). Appended to predictor.js to make the widget's ES module.
//
// Where the model comes from:
// - in the published book, the page loads the exported bundle (datajobs-predictor.js), which sets
//   globalThis.datajobsPredictor: every prediction runs in the reader's browser, no kernel;
// - in Jupyter or Voilà (no bundle on the page), the form asks the kernel once for the bundle and then
//   predicts in the browser too; the kernel also answers with SHAP contributions (kernel-only).
// User text is only ever inserted as text (textContent), never as HTML.

const UNKNOWN_DIPLOMA = "(not given)";

function element(tag, attributes, children) {
  const node = document.createElement(tag);
  Object.entries(attributes || {}).forEach(([name, value]) => {
    if (name === "text") { node.textContent = value; } else if (name === "className") { node.className = value; } else { node.setAttribute(name, value); }
  });
  (children || []).forEach((child) => node.appendChild(child));
  return node;
}

function percent(value) {
  return (100 * value).toFixed(1) + "%";
}

function bundleFromKernel(model) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the kernel did not send the model")), 60000);
    model.on("msg:custom", (message) => {
      if (message && message.type === "bundle") {
        clearTimeout(timer);
        resolve(message.bundle);
      }
    });
    model.send({type: "bundle?"});
  });
}

function field(labelText, control, hint) {
  const id = "dj-" + Math.random().toString(36).slice(2);
  control.id = id;
  const row = element("div", {className: "dj-field"}, [element("label", {for: id, text: labelText}), control]);
  if (hint) { row.appendChild(element("span", {className: "dj-hint", text: hint})); }
  return row;
}

function datalist(values) {
  const id = "dj-list-" + Math.random().toString(36).slice(2);
  const list = element("datalist", {id: id}, values.map((value) => element("option", {value: value})));
  return {id: id, list: list};
}

function renderForm(el, model, predictor, withKernel) {
  const bundle = predictor.bundle;
  const vocabularies = bundle.vocabularies;
  const example = model.get("example") || {};
  const colours = model.get("colours") || {};
  el.replaceChildren();
  const root = element("div", {className: "dj-predictor"});
  el.appendChild(root);

  // Technologies: one checkbox per technology of the model's vocabulary.
  const picked = new Set(example.technologies || []);
  const boxes = vocabularies.technologies.map((name) => {
    const box = element("input", {type: "checkbox", value: name});
    box.checked = picked.has(name);
    return element("label", {className: "dj-tech"}, [box, document.createTextNode(" " + name)]);
  });
  const pickedNote = element("div", {className: "dj-hint dj-picked"});
  function showPicked() {
    const names = boxes.map((label) => label.firstChild).filter((box) => box.checked).map((box) => box.value);
    pickedNote.textContent = names.length ? "Ticked: " + names.join(", ") : "No box ticked (technologies can also be typed below).";
  }
  boxes.forEach((label) => label.firstChild.addEventListener("change", showPicked));
  showPicked();
  root.appendChild(element("fieldset", {className: "dj-technologies"},
                           [element("legend", {text: "Technologies"}), element("div", {className: "dj-tech-grid"}, boxes),
                            pickedNote]));
  const freeText = element("input", {type: "text", placeholder: "e.g. Python, Spark or Python/Spark"});
  freeText.value = example.free_text || "";
  root.appendChild(field("More technologies", freeText, "typed freely, normalised like the data loader"));

  const diploma = element("select", {}, [UNKNOWN_DIPLOMA].concat(vocabularies.diplomas)
    .map((level) => element("option", {value: level, text: level})));
  diploma.value = example.diploma || UNKNOWN_DIPLOMA;
  root.appendChild(element("div", {className: "dj-diploma"}, [field("Diploma", diploma)]));

  const experience = element("input", {type: "text", placeholder: "e.g. 3,5 — empty if unknown"});
  experience.value = example.experience === undefined || example.experience === null ? "" : String(example.experience);
  root.appendChild(field("Experience (years)", experience));

  const cities = datalist(vocabularies.cities);
  const city = element("input", {type: "text", placeholder: "pick or type a city", list: cities.id});
  city.value = example.city || "";
  root.appendChild(cities.list);
  root.appendChild(field("City", city, "a city the model never saw is accepted"));

  const companies = datalist(vocabularies.companies);
  const company = element("input", {type: "text", placeholder: "optional", list: companies.id});
  company.value = example.company || "";
  root.appendChild(companies.list);
  root.appendChild(field("Company", company));

  // The level of the prediction set: the levels the model has thresholds for (90 % by default).
  const levels = bundle.conformal ? Object.keys(bundle.conformal.floors) : [];
  const level = element("select", {}, levels.map((key) =>
    element("option", {value: key, text: Math.round(100 * Number(key)) + " %"})));
  if (levels.includes("0.9")) { level.value = "0.9"; }
  if (levels.length) {
    root.appendChild(field("Set level", level, "for each job: how often the set holds it when it is the true job"));
  }

  const button = element("button", {type: "button", className: "dj-button", text: "Predict"});
  root.appendChild(button);
  const output = element("div", {className: "dj-output", "aria-live": "polite"});
  root.appendChild(output);
  const model_note = bundle.model.training_rows
    ? "The model runs in your browser: CatBoost trees, calibration and decision rule exported from the Python model "
      + "trained on " + bundle.model.training_rows.toLocaleString("en") + " profiles; nothing is sent anywhere."
    : "The model runs in your browser; nothing is sent anywhere.";
  root.appendChild(element("p", {className: "dj-note", text: model_note}));

  function values() {
    return {
      technologies: boxes.map((label) => label.firstChild).filter((box) => box.checked).map((box) => box.value),
      free_text: freeText.value, diploma: diploma.value, experience: experience.value, city: city.value,
      company: company.value,
    };
  }

  let requestId = 0;
  function show(result, id) {
    output.replaceChildren();
    output.classList.remove("dj-stale");
    output.dataset.run = String(id);
    if (result.error) {
      output.appendChild(element("div", {className: "dj-result dj-error", role: "alert"},
                                 [element("b", {text: "Cannot predict. "}), document.createTextNode(result.error)]));
      return;
    }
    const box = element("div", {className: "dj-result"});
    box.appendChild(element("div", {className: "dj-predicted"},
                            [document.createTextNode("Predicted profile: "), element("b", {className: "dj-label", text: result.label})]));
    if (result.uncertain_between) {
      box.appendChild(element("div", {className: "dj-uncertain"}, [
        document.createTextNode("Uncertain between "), element("b", {text: result.uncertain_between[0]}),
        document.createTextNode(" and "), element("b", {text: result.uncertain_between[1]}),
        document.createTextNode(": their probabilities are close.")]));
    }
    const profile = result.profile;
    if (profile) {
      const known = profile.technologies.filter((name) => vocabularies.technologies.includes(name));
      const read = [
        "technologies " + (known.length ? known.join(", ") : "none known"),
        "diploma " + (profile.diploma || "not given"),
        "experience " + (profile.experience === null ? "not given" : profile.experience + " years"),
        "city " + (profile.city || "not given"),
      ];
      box.appendChild(element("div", {className: "dj-read", text: "Read as: " + read.join("; ") + "."}));
    }
    if (result.set) {
      const share = Math.round(100 * result.set_level);
      const words = result.set.length === 1 ? result.set[0] + " alone"
        : result.set.slice(0, -1).join(", ") + " or " + result.set[result.set.length - 1];
      box.appendChild(element("div", {className: "dj-set"}, [
        element("b", {text: "Prediction set (" + share + " %): "}), document.createTextNode(words + ". "),
        // The guarantee is per true job (class-conditional), and it says nothing of a profile unlike the
        // training profiles: no sentence beside the "Unusual" or "Caution" boxes.
        document.createTextNode(result.set_empty || result.caution ? "" : "Whatever this candidate's true job, sets "
          + "built this way hold it for " + share + " in 100 profiles of that job (measured job by job on profiles "
          + "the model never saw; see the chapter on prediction sets).")]));
      if (result.set_empty) {
        box.appendChild(element("div", {className: "dj-caution", role: "note"}, [element("b", {text: "Unusual. "}),
          document.createTextNode("No job is as probable for this profile as for the profiles the model was checked "
            + "on: the set holds the predicted job only, and the guarantee does not cover it.")]));
      }
    }
    if (result.caution) {
      box.appendChild(element("div", {className: "dj-caution", role: "note"},
                              [element("b", {text: "Caution. "}), document.createTextNode(result.caution)]));
    }
    const rows = bundle.model.classes.map((label) => {
      const value = result.probabilities[label];
      const bar = element("div", {className: "dj-bar"});
      bar.style.width = (100 * value).toFixed(1) + "%";  // of the track, which narrows on a phone
      bar.style.background = colours[label] || "#4c72b0";
      return element("tr", {}, [
        element("td", {className: "dj-class", text: label}),
        element("td", {}, [element("div", {className: "dj-track"}, [bar])]),
        element("td", {className: "dj-proba", "data-label": label, "data-probability": String(value), text: percent(value)}),
      ]);
    });
    box.appendChild(element("table", {className: "dj-bars"}, rows));
    const rule = result.decision_rule;
    if (rule && rule.decided) {
      box.appendChild(element("div", {className: "dj-rule", text:
        "Decided by the decision rule for " + rule.weighted_class + ": the most probable profile is "
        + result.argmax_label + " ("
        + percent(result.probabilities[result.argmax_label]) + "), but the decision rule multiplies the probability of "
        + rule.weighted_class + " by " + rule.weight + " (the weight that maximised macro-F1 on out-of-fold "
        + "predictions, so that this rare class is not always outvoted), which makes " + result.label + " win."}));
    }
    result.warnings.forEach((warning) => box.appendChild(element("div", {className: "dj-warning", text: "⚠ " + warning})));
    if (result.counterfactuals) {
      const edits = result.counterfactuals;
      const heading = edits.length ? "What would change the answer (the smallest edits; this describes the model, "
        + "not the labour market or a career path):"
        : "No edit of at most two changes (years, one technology, one diploma step) changes the answer.";
      const list = element("ul", {}, edits.map((edit) => element("li", {text: edit.changes.join(" and ") + " → "
        + edit.label + " (" + percent(edit.probability) + ")"})));
      box.appendChild(element("div", {className: "dj-counterfactuals"}, [document.createTextNode(heading), list]));
    }
    const reasons = element("div", {className: "dj-reasons"});
    if (withKernel) {
      reasons.textContent = "Computing what pushed the prediction (SHAP) in the kernel…";
    } else {
      reasons.textContent = "Why this prediction (SHAP contributions) is computed by Python only: open this notebook "
        + "in Jupyter or run “make app” to see it. The prediction itself needs no kernel.";
    }
    box.appendChild(reasons);
    output.appendChild(box);
    if (withKernel) {
      model.send({type: "explain", id: id, values: values()});
    }
  }

  function predict() {
    requestId += 1;
    let result;
    try {
      result = predictor.predict(values(), levels.length ? {level: Number(level.value)} : {});
    } catch (error) {
      console.warn("[datajobs] prediction failed", error);
      result = {error: "Unexpected problem while predicting (" + (error && error.name || "Error") + ")."};
    }
    show(result, requestId);
  }

  if (withKernel) {
    model.on("msg:custom", (message) => {
      if (!message || message.type !== "explanation" || message.id !== requestId) { return; }
      const reasons = output.querySelector(".dj-reasons");
      if (!reasons) { return; }
      reasons.replaceChildren(document.createTextNode("What pushed the prediction (SHAP, towards + / away −):"));
      const list = element("ul", {}, (message.contributions || []).map(([name, value]) =>
        element("li", {text: (value >= 0 ? "+ " : "− ") + name + " (" + Math.abs(value).toFixed(2) + ")"})));
      reasons.appendChild(list);
    });
  }
  button.addEventListener("click", predict);
  // A result on screen no longer matches edited inputs: say so until Predict is pressed again.
  const stale = element("div", {className: "dj-hint dj-stale-note", text: "The inputs changed since this result: press Predict."});
  function markStale() {
    if (!output.firstChild || output.classList.contains("dj-stale")) { return; }
    output.classList.add("dj-stale");
    output.prepend(stale);
  }
  [freeText, experience, city, company].forEach((input) => input.addEventListener("input", markStale));
  [diploma, level, ...boxes.map((label) => label.firstChild)].forEach((input) => input.addEventListener("change", markStale));
  [freeText, experience, city, company].forEach((input) => input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { predict(); }
  }));
  predict();
  el.dataset.ready = "true";
}

async function render({model, el}) {
  el.classList.add("dj-widget");
  el.replaceChildren(element("p", {className: "dj-note", text: "Loading the predictor…"}));
  const evaluator = globalThis.DatajobsEvaluator;
  const onPage = globalThis.datajobsPredictor;
  try {
    const predictor = onPage || evaluator.createPredictor(await bundleFromKernel(model));
    renderForm(el, model, predictor, !onPage);
  } catch (error) {
    el.replaceChildren(element("p", {className: "dj-result dj-error",
                                     text: "The predictor could not start: " + error.message}));
  }
}

export default {render};
