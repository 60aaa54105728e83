/*
 * datajobs in-browser predictor: a dependency-free evaluator of the bundle written by
 * `datajobs export-web` (see src/datajobs/webexport.py).
 *
 * It reproduces, step by step, what the Python package does for one profile typed in the form:
 *   1. the loader's normalisation (datajobs.data: normalise_technologies, _diploma, _experience,
 *      _city, _company) and the form's checks and warnings (datajobs.widget.check_form);
 *   2. the CatBoost frame (datajobs.features.catboost_frame);
 *   3. CatBoost's oblivious trees, including its categorical CTR features, read from CatBoost's
 *      own JSON export: category hashes come from the exported table, combined with CatBoost's
 *      CalcHash on 64-bit integers (BigInt); CTR values are float32 (Math.fround);
 *   4. the calibration (vector scaling) and the decision rule (datajobs.calibration).
 *
 * Works as a plain script (no module loader, no AMD wrapper: require.js may be on the page) and
 * under Node (module.exports) for the tests. Exposes globalThis.DatajobsEvaluator and, when the
 * bundle global is present, globalThis.datajobsPredictor = {predict, bundle}.
 */
(function (root) {
  "use strict";

  var MASK64 = (BigInt(1) << BigInt(64)) - BigInt(1);
  var MAGIC_MULT = BigInt("0x4906ba494954cb65");

  // CatBoost's CalcHash(a, b) = M * (a + M * b) modulo 2^64.
  function calcHash(a, b) {
    return (MAGIC_MULT * ((a + MAGIC_MULT * b) & MASK64)) & MASK64;
  }

  // Category hashes are 32-bit, used as signed int32 sign-extended to 64 bits when combined.
  function signExtend32(hash) {
    return BigInt.asUintN(64, BigInt(hash | 0));
  }

  function toMap(object) {
    var map = new Map();
    Object.keys(object || {}).forEach(function (key) { map.set(key, object[key]); });
    return map;
  }

  // ---------------------------------------------------------------------------------------
  // The loader's rules (datajobs.vocabulary.make_key, datajobs.data.normalise_*)
  // ---------------------------------------------------------------------------------------
  function cleanText(raw) {
    return String(raw).replace(/\s+/g, " ").trim();
  }

  function makeKey(value) {
    var withoutAccents = String(value).normalize("NFKD").replace(/\p{Mn}/gu, "");
    // str.casefold(): lower case, and the German sharp s folds to "ss".
    return withoutAccents.replace(/\s+/g, " ").trim().toLowerCase().replace(/ß/g, "ss").replace(/ς/g, "σ");
  }

  function splitTechnologies(raw) {
    return String(raw).split(/[/,;|\n\r]/).map(cleanText);
  }

  function titleCase(text) {
    return text.replace(/[^\s\-']+/g, function (word) {
      var characters = Array.from(word);
      return characters[0].toUpperCase() + characters.slice(1).join("").toLowerCase();
    });
  }

  // Python's format(value, "g"): 6 significant digits, trailing zeros removed.
  function formatG(value) {
    if (value === 0) { return Object.is(value, -0) ? "-0" : "0"; }
    var exponential = value.toExponential(5);
    var exponent = parseInt(exponential.split("e")[1], 10);
    if (exponent < -4 || exponent >= 6) {
      var parts = exponential.split("e");
      var mantissa = parts[0].indexOf(".") >= 0 ? parts[0].replace(/0+$/, "").replace(/\.$/, "") : parts[0];
      var sign = exponent < 0 ? "-" : "+";
      var digits = String(Math.abs(exponent));
      return mantissa + "e" + sign + (digits.length < 2 ? "0" + digits : digits);
    }
    var fixed = value.toFixed(Math.max(0, 5 - exponent));
    return fixed.indexOf(".") >= 0 ? fixed.replace(/0+$/, "").replace(/\.$/, "") : fixed;
  }

  // Shown above the probabilities when a profile is unlike every training profile (datajobs.widget.CAUTION).
  var CAUTION = "This profile is unlike the profiles the model learnt from: read the percentages as a guess, not " +
    "as how often such a prediction is right.";

  function Normaliser(tables) {
    this.technologies = toMap(tables.technology_lookup);
    this.diplomaFirstWords = toMap(tables.diploma_first_words);
    this.cities = toMap(tables.city_lookup);
    this.companies = toMap(tables.company_casing);
    this.noExperience = new Set(tables.no_experience);
    this.experienceMin = tables.experience_min;
    this.experienceMax = tables.experience_max;
    this.knownExperience = tables.known_experience || [];
    this.knownStacks = new Set(tables.known_stacks || []);
  }

  Normaliser.prototype.technologiesOf = function (raw) {
    var items = splitTechnologies(raw);
    var canonical = [];
    var self = this;
    items.forEach(function (item) {
      if (!item) { return; }
      var mapped = self.technologies.get(makeKey(item)) || [item];
      mapped.forEach(function (name) { if (canonical.indexOf(name) < 0) { canonical.push(name); } });
    });
    return canonical;
  };

  Normaliser.prototype.diploma = function (raw) {
    var text = cleanText(raw);
    if (!text) { return null; }
    var firstWord = makeKey(text).split(/[\s\-_/(]+/)[0];
    return this.diplomaFirstWords.has(firstWord) ? this.diplomaFirstWords.get(firstWord) : text;
  };

  // {years: number (NaN when missing or unusable), problem: null | "unreadable" | "range"}
  Normaliser.prototype.experience = function (raw) {
    var text = cleanText(raw);
    if (!text) { return {years: NaN, problem: null}; }
    var key = makeKey(text);
    if (this.noExperience.has(key)) { return {years: 0, problem: null}; }
    var match = /^(-?\d+(?:[.,]\d+)?)\s*(years?|yrs?|y|ans?|annees?|months?|mois|m)?\.?$/.exec(key);
    if (match === null) { return {years: NaN, problem: "unreadable"}; }
    var years = Number(match[1].replace(",", "."));
    if ((match[2] || "").charAt(0) === "m") { years = years / 12; }
    if (!(years >= this.experienceMin && years <= this.experienceMax)) { return {years: NaN, problem: "range"}; }
    return {years: years, problem: null};
  };

  Normaliser.prototype.city = function (raw) {
    var text = cleanText(raw);
    if (!text) { return null; }
    var key = makeKey(text);
    return this.cities.has(key) ? this.cities.get(key) : titleCase(text);
  };

  Normaliser.prototype.company = function (raw) {
    var text = cleanText(raw);
    if (!text) { return null; }
    var key = makeKey(text);
    return this.companies.has(key) ? this.companies.get(key) : text;
  };

  // ---------------------------------------------------------------------------------------
  // CatBoost: oblivious trees with CTR features, from CatBoost's JSON export
  // ---------------------------------------------------------------------------------------
  function CatBoostModel(spec, featureNames) {
    this.spec = spec;
    this.dimension = spec.class_names.length;
    this.position = new Map(featureNames.map(function (name, index) { return [name, index]; }));
    this.floatFeatures = new Map(spec.float_features.map(function (feature) {
      return [feature.feature_index, feature];
    }));
    this.catFeatures = new Map(spec.categorical_features.map(function (feature) {
      return [feature.feature_index, feature];
    }));
    this.catHashes = toMap(spec.cat_hashes);
    // Per float feature index, its column in the row and its NaN rule: looked up for every split.
    this.floatPosition = [];
    this.floatNanIsTrue = [];
    var model = this;
    this.floatFeatures.forEach(function (feature, index) {
      model.floatPosition[index] = model.position.get(feature.feature_name);
      model.floatNanIsTrue[index] = feature.nan_value_treatment === "AsTrue";
    });
    var catPosition = [];
    this.catFeatures.forEach(function (feature, index) { catPosition[index] = model.position.get(feature.feature_name); });
    // Per row column, the trees whose leaf depends on it (their splits' features, and every feature of
    // the projections of their CTR splits): a tree none of whose columns changed keeps its leaf.
    this.treesReading = featureNames.map(function () { return []; });
    spec.trees.forEach(function (tree, index) {
      var inputs = new Set();
      tree.splits.forEach(function (split) {
        if (split.split_type === "FloatFeature") {
          inputs.add(model.floatPosition[split.float_feature_index]);
        } else if (split.split_type === "OneHotFeature") {
          inputs.add(catPosition[split.cat_feature_index]);
        } else if (split.split_type === "OnlineCtr") {
          spec.ctrs[split.ctr_index].elements.forEach(function (element) {
            inputs.add(element.combination_element === "float_feature"
              ? model.floatPosition[element.float_feature_index] : catPosition[element.cat_feature_index]);
          });
        }
      });
      inputs.forEach(function (column) { model.treesReading[column].push(index); });
    });
    this.tables = new Map();
    var self = this;
    Object.keys(spec.ctr_data).forEach(function (identifier) {
      var data = spec.ctr_data[identifier];
      var stride = data.hash_stride;
      var buckets = new Map();
      for (var offset = 0; offset < data.hash_map.length; offset += stride) {
        buckets.set(String(data.hash_map[offset]), data.hash_map.slice(offset + 1, offset + stride));
      }
      self.tables.set(identifier, {buckets: buckets, denominator: data.counter_denominator, stride: stride});
    });
    // Each CTR's elements in hashing order (cat features, then float features, then one-hot values).
    this.ordered = new Map();
    spec.ctrs.forEach(function (ctr) {
      var elements = ctr.elements;
      self.ordered.set(ctr.identifier,
        elements.filter(function (e) { return e.combination_element === "cat_feature_value"; })
          .concat(elements.filter(function (e) { return e.combination_element === "float_feature"; }))
          .concat(elements.filter(function (e) { return e.combination_element === "cat_feature_exact_value"; })));
    });
  }

  // The hashes of the categorical features of one row: null for a value never seen in training
  // (absent from the hash table, hence from every CTR table).
  CatBoostModel.prototype.hashCategories = function (row) {
    var hashes = new Map();
    var self = this;
    this.catFeatures.forEach(function (feature, index) {
      var value = String(row[self.position.get(feature.feature_name)]);
      hashes.set(index, self.catHashes.has(value) ? signExtend32(self.catHashes.get(value)) : null);
    });
    return hashes;
  };

  CatBoostModel.prototype.floatValue = function (row, featureIndex) {
    return row[this.floatPosition[featureIndex]];
  };

  CatBoostModel.prototype.floatBit = function (row, featureIndex, border) {
    var value = row[this.floatPosition[featureIndex]];
    if (Number.isNaN(value)) { return this.floatNanIsTrue[featureIndex] ? 1 : 0; }
    return Math.fround(value) > border ? 1 : 0;
  };

  // The projection's hash (cat features, then binarised float features, then one-hot values),
  // or null when a category was never seen in training.
  CatBoostModel.prototype.projectionHash = function (identifier, row, hashes) {
    var hash = BigInt(0);
    var ordered = this.ordered.get(identifier);
    for (var i = 0; i < ordered.length; i += 1) {
      var element = ordered[i];
      if (element.combination_element === "cat_feature_value") {
        var value = hashes.get(element.cat_feature_index);
        if (value === null) { return null; }
        hash = calcHash(hash, value);
      } else if (element.combination_element === "float_feature") {
        hash = calcHash(hash, BigInt(this.floatBit(row, element.float_feature_index, element.border)));
      } else if (element.combination_element === "cat_feature_exact_value") {
        var exact = hashes.get(element.cat_feature_index);
        hash = calcHash(hash, BigInt(exact !== null && exact === signExtend32(element.value) ? 1 : 0));
      } else {
        throw new Error("unsupported CTR element " + element.combination_element);
      }
    }
    return hash;
  };

  function ctrCalc(ctr, count, total) {
    var value = Math.fround(Math.fround(count + ctr.prior_numerator) / Math.fround(total + ctr.prior_denomerator));
    return Math.fround(Math.fround(value + ctr.shift) * ctr.scale);
  }

  CatBoostModel.prototype.ctrValue = function (ctr, row, hashes, cache) {
    var table = this.tables.get(ctr.identifier);
    var hash = cache.has(ctr.identifier) ? cache.get(ctr.identifier) : this.projectionHash(ctr.identifier, row, hashes);
    cache.set(ctr.identifier, hash);
    var counts = hash === null ? undefined : table.buckets.get(hash.toString());
    if (ctr.ctr_type === "Counter" || ctr.ctr_type === "FeatureFreq") {
      return ctrCalc(ctr, counts === undefined ? 0 : counts[0], table.denominator);
    }
    if (counts === undefined) { return ctrCalc(ctr, 0, 0); }
    if (ctr.ctr_type === "Buckets") {
      var all = counts.reduce(function (a, b) { return a + b; }, 0);
      return ctrCalc(ctr, counts[ctr.target_border_idx], all);
    }
    if (ctr.ctr_type === "Borders") {
      if (counts.length > 2) {
        var good = 0;
        var total = 0;
        for (var k = 0; k < counts.length; k += 1) {
          if (k <= ctr.target_border_idx) { total += counts[k]; } else { good += counts[k]; }
        }
        return ctrCalc(ctr, good, total + good);
      }
      return ctrCalc(ctr, counts[1], counts[0] + counts[1]);
    }
    throw new Error("unsupported CTR type " + ctr.ctr_type);
  };

  // The leaf each tree sends one row of the CatBoost frame to. With ``base`` ({row, leaves}: a row
  // and its leaves), only the trees that read a column where the two rows differ are walked.
  CatBoostModel.prototype.leaves = function (row, base) {
    var trees = this.spec.trees;
    var walk = null;  // with a base: 1 for the trees reading a column whose value differs from the base's
    if (base) {
      walk = new Uint8Array(trees.length);
      for (var i = 0; i < row.length; i += 1) {
        var a = row[i];
        var b = base.row[i];
        if (a === b || (a !== a && b !== b)) { continue; }  // NaN equals NaN here
        var reading = this.treesReading[i];
        for (var r = 0; r < reading.length; r += 1) { walk[reading[r]] = 1; }
      }
    }
    var hashes = this.hashCategories(row);
    var cache = new Map();
    var ctrValues = new Map();
    var leaves = new Int32Array(trees.length);
    for (var t = 0; t < trees.length; t += 1) {
      if (walk && !walk[t]) {
        leaves[t] = base.leaves[t];
        continue;
      }
      var splits = trees[t].splits;
      var leaf = 0;
      for (var d = 0; d < splits.length; d += 1) {
        var split = splits[d];
        var bit;
        if (split.split_type === "FloatFeature") {
          bit = this.floatBit(row, split.float_feature_index, split.border);
        } else if (split.split_type === "OnlineCtr") {
          if (!ctrValues.has(split.ctr_index)) {
            ctrValues.set(split.ctr_index, this.ctrValue(this.spec.ctrs[split.ctr_index], row, hashes, cache));
          }
          bit = ctrValues.get(split.ctr_index) > split.border ? 1 : 0;
        } else if (split.split_type === "OneHotFeature") {
          var hash = hashes.get(split.cat_feature_index);
          bit = hash !== null && hash === signExtend32(split.value) ? 1 : 0;
        } else {
          throw new Error("unsupported split type " + split.split_type);
        }
        leaf |= bit << d;
      }
      leaves[t] = leaf;
    }
    return leaves;
  };

  // Raw formula values (one per CatBoost class) of one row, summed tree by tree in CatBoost's order
  // whether or not ``base`` spared walking some trees: the same numbers either way.
  CatBoostModel.prototype.rawValues = function (row, base) {
    return this.rawFromLeaves(this.leaves(row, base));
  };

  CatBoostModel.prototype.rawFromLeaves = function (leaves) {
    var sums = new Array(this.dimension).fill(0);
    var trees = this.spec.trees;
    for (var t = 0; t < trees.length; t += 1) {
      var values = trees[t].leaf_values;
      for (var c = 0; c < this.dimension; c += 1) { sums[c] += values[leaves[t] * this.dimension + c]; }
    }
    var scale = this.spec.scale_and_bias[0];
    var bias = this.spec.scale_and_bias[1];
    return sums.map(function (sum, c) { return scale * sum + bias[c]; });
  };

  function softmax(values) {
    var top = Math.max.apply(null, values);
    var exps = values.map(function (value) { return Math.exp(value - top); });
    var total = exps.reduce(function (a, b) { return a + b; }, 0);
    return exps.map(function (value) { return value / total; });
  }

  // ---------------------------------------------------------------------------------------
  // The predictor
  // ---------------------------------------------------------------------------------------
  var DEFAULT_LEVEL = 0.9;
  var COUNTERFACTUAL_LIMIT = 3;
  var COUNTERFACTUAL_DECIMALS = 6;

  function createPredictor(bundle) {
    var normaliser = new Normaliser(bundle.normaliser);
    var features = bundle.features;
    var model = new CatBoostModel(bundle.catboost, features.names);
    var classes = bundle.model.classes;
    var catboostOrder = classes.map(function (label) { return bundle.catboost.class_names.indexOf(label); });
    var vocabulary = new Set(features.technology_vocabulary);
    var knownCities = new Set(bundle.vocabularies.cities);
    var diplomaRank = new Map(bundle.vocabularies.diplomas.map(function (level, rank) { return [level, rank]; }));
    var technologyLookup = normaliser.technologies;
    var experienceMin = bundle.normaliser.experience_min;
    var experienceMax = bundle.normaliser.experience_max;

    // datajobs.features.catboost_frame for one canonical profile, in the model's column order.
    function catboostRow(profile) {
      var technologies = new Set(profile.technologies);
      var years = profile.experience === null ? NaN : profile.experience;
      var columns = {
        experience_years: years,
        experience_value: Number.isNaN(years) ? features.missing : formatG(years),
        experience_missing: Number.isNaN(years) ? 1 : 0,
        diploma_rank: diplomaRank.has(profile.diploma) ? diplomaRank.get(profile.diploma) : NaN,
        city: profile.city === null ? features.missing : profile.city,
        company: profile.company === null ? features.missing : profile.company,
        n_technologies: 0,
      };
      features.technology_vocabulary.forEach(function (name) {
        var known = technologies.has(name) ? 1 : 0;
        columns["tech_" + name] = known;
        columns.n_technologies += known;
      });
      return features.names.map(function (name) {
        if (!(name in columns)) { throw new Error("the bundle asks for an unknown feature " + name); }
        return columns[name];
      });
    }

    function probabilitiesOf(profile) {
      return calibrated(model.rawValues(catboostRow(profile)));
    }

    // CatBoost's raw values to the calibrated probabilities, in the bundle's class order.
    function calibrated(rawValues) {
      var raw = softmax(rawValues);
      var ordered = catboostOrder.map(function (index) { return raw[index]; });
      var calibration = bundle.calibration;
      var logits = ordered.map(function (p, c) {
        var clipped = Math.min(Math.max(p, calibration.epsilon), 1);
        return calibration.scale * Math.log(clipped) + (calibration.bias.length ? calibration.bias[c] : 0);
      });
      return softmax(logits);
    }

    function decide(probabilities) {
      var best = 0;
      var weighted = probabilities.map(function (p, c) {
        return classes[c] === bundle.decision.weighted_class ? p * bundle.decision.weight : p;
      });
      for (var c = 1; c < weighted.length; c += 1) { if (weighted[c] > weighted[best]) { best = c; } }
      return best;
    }

    // datajobs.model.conformal: a class is in the set when its probability reaches its floor at the
    // level (a null floor: too few conformal rows, always in); the set always holds the label.
    var conformal = bundle.conformal;
    function levelKey(level) { return formatG(Number(level)); }
    function checkLevel(level) {
      var value = Number(level);
      if (level === null || level === "" || typeof level === "boolean" || Number.isNaN(value) ||
          !(value > 0 && value < 1)) {
        throw new Error("level " + JSON.stringify(level) + " is not between 0 and 1 (exclusive); give e.g. 0.8, 0.9 or 0.95");
      }
      if (!conformal || !(levelKey(value) in conformal.floors)) {
        throw new Error("no conformal thresholds for level " + levelKey(value) + "; the model has " +
          (conformal ? Object.keys(conformal.floors).join(", ") : "none"));
      }
      return value;
    }
    function predictionSet(probabilities, chosen, level) {
      var floors = conformal.floors[levelKey(level)];
      var inside = classes.map(function (label, c) {
        return floors[label] === null || probabilities[c] >= floors[label] - conformal.tolerance;
      });
      var empty = !inside.some(function (value) { return value; });
      inside[chosen] = true;
      var order = probabilities.map(function (p, c) { return c; })
        .sort(function (a, b) { return probabilities[b] - probabilities[a] || a - b; });
      return {set: order.filter(function (c) { return inside[c]; }).map(function (c) { return classes[c]; }),
              empty: empty};
    }

    // datajobs.model.counterfactuals: the same candidates in the same order, ranked alike.
    var knownDiplomas = new Set(bundle.normaliser.known_diplomas || []);
    var diplomaSteps = bundle.vocabularies.diplomas.filter(function (level) { return knownDiplomas.has(level); });
    function change(kind, value, size, text) { return {kind: kind, value: value, size: size, text: text}; }
    function candidateChanges(profile) {
      var knownYears = normaliser.knownExperience;
      var years = profile.experience;
      var experienceChanges = [];
      knownYears.forEach(function (value) {
        if (years === null) {
          experienceChanges.push(change("experience", value, 1, "experience: not given → " + formatG(value) + " years"));
        } else if (value !== years) {
          experienceChanges.push(change("experience", value, Math.abs(value - years),
            "experience: " + formatG(years) + " → " + formatG(value) + " years"));
        }
      });
      var present = new Set(profile.technologies);
      var technologyChanges = features.technology_vocabulary.map(function (name) {
        return change("technology", name, 1, (present.has(name) ? "remove " : "add ") + name);
      });
      var diplomaChanges = [];
      var rank = diplomaSteps.indexOf(profile.diploma);
      if (rank >= 0) {
        [rank - 1, rank + 1].forEach(function (step) {
          if (step >= 0 && step < diplomaSteps.length) {
            diplomaChanges.push(change("diploma", diplomaSteps[step], 1,
              "diploma: " + profile.diploma + " → " + diplomaSteps[step]));
          }
        });
      }
      return [experienceChanges, technologyChanges, diplomaChanges];
    }
    // catboostRow of the profile edited by the changes, from the row of all the changes but the last:
    // only the columns one change touches are written (building every row afresh took a third of the
    // search). A pair never holds two changes of one kind, so ``present`` (the profile's technologies)
    // says whether a technology change adds or removes it.
    var position = new Map(features.names.map(function (name, index) { return [name, index]; }));
    var formattedYears = new Map();
    function editedRow(row, item, present) {
      var edited = row.slice();
      function write(name, value) { if (position.has(name)) { edited[position.get(name)] = value; } }
      if (item.kind === "experience") {
        if (!formattedYears.has(item.value)) { formattedYears.set(item.value, formatG(item.value)); }
        write("experience_years", item.value);
        write("experience_value", formattedYears.get(item.value));
        write("experience_missing", 0);
      } else if (item.kind === "diploma") {
        write("diploma_rank", diplomaRank.has(item.value) ? diplomaRank.get(item.value) : NaN);
      } else {
        var removed = present.has(item.value);
        write("tech_" + item.value, removed ? 0 : 1);
        if (position.has("n_technologies")) { edited[position.get("n_technologies")] += removed ? -1 : 1; }
      }
      return edited;
    }
    function rankKey(changes, probability) {
      var size = changes.reduce(function (total, item) { return total + item.size; }, 0);
      return [changes.length, size, -Number(probability.toFixed(COUNTERFACTUAL_DECIMALS)),
              changes.map(function (item) { return item.text; }).join(" + ")];
    }
    function compareKeys(a, b) {
      for (var i = 0; i < 3; i += 1) { if (a[i] !== b[i]) { return a[i] < b[i] ? -1 : 1; } }
      return a[3] < b[3] ? -1 : (a[3] > b[3] ? 1 : 0);
    }
    function counterfactualsOf(profile, label) {
      var groups = candidateChanges(profile);
      var found = [];
      var flippingSingles = new Set();
      // Only the trees that read a column an edit changes are walked again: a single change starts
      // from the profile's leaves, a pair from its first change's (experience or a technology, which
      // the most trees read), so a pair walks only the trees reading its second change.
      var present = new Set(profile.technologies);
      var baseRow = catboostRow(profile);
      var base = {row: baseRow, leaves: model.leaves(baseRow)};
      var walked = new Map();  // single change -> {row, leaves}
      function consider(changes) {
        var from = changes.length === 1 ? base : walked.get(changes[0]);
        var row = editedRow(from.row, changes[changes.length - 1], present);
        var leaves = model.leaves(row, from);
        if (changes.length === 1) { walked.set(changes[0], {row: row, leaves: leaves}); }
        var probabilities = calibrated(model.rawFromLeaves(leaves));
        var chosen = decide(probabilities);
        if (classes[chosen] === label) { return false; }
        found.push({key: rankKey(changes, probabilities[chosen]), changes: changes, label: classes[chosen],
                    probability: probabilities[chosen]});
        return true;
      }
      groups.forEach(function (group) {
        group.forEach(function (item) { if (consider([item])) { flippingSingles.add(item); } });
      });
      // A pair ranks after every single change: it is needed only if fewer single kinds change the label.
      var singleKinds = new Set(found.map(function (item) { return item.changes[0].kind; }));
      var needed = COUNTERFACTUAL_LIMIT - singleKinds.size;
      if (needed > 0) {
        var pairs = [];
        groups.forEach(function (group, index) {
          groups.slice(index + 1).forEach(function (later) {
            group.forEach(function (first) {
              if (flippingSingles.has(first)) { return; }
              later.forEach(function (second) {
                if (!flippingSingles.has(second)) { pairs.push([first, second]); }
              });
            });
          });
        });
        // Smallest pairs first, a whole size at a time: once enough kinds of pair change the label,
        // every pair left is larger and would rank after them (the result is the exhaustive one).
        pairs.sort(function (a, b) { return (a[0].size + a[1].size) - (b[0].size + b[1].size); });
        var pairKinds = new Set();
        for (var i = 0; i < pairs.length; i += 1) {
          var size = pairs[i][0].size + pairs[i][1].size;
          if (pairKinds.size >= needed && size > pairs[i - 1][0].size + pairs[i - 1][1].size) { break; }
          if (consider(pairs[i])) { pairKinds.add(pairs[i][0].kind + "+" + pairs[i][1].kind); }
        }
      }
      found.sort(function (a, b) { return compareKeys(a.key, b.key); });
      var kept = [];
      var seen = new Set();
      for (var i = 0; i < found.length && kept.length < COUNTERFACTUAL_LIMIT; i += 1) {
        var kinds = found[i].changes.map(function (item) { return item.kind; }).sort();
        if (seen.has(kinds.join("+"))) { continue; }
        seen.add(kinds.join("+"));
        kept.push({changes: found[i].changes.map(function (item) { return item.text; }), kinds: kinds,
                   label: found[i].label, probability: found[i].probability, size: found[i].key[1]});
      }
      return kept;
    }

    function blank(value) {
      return value === null || value === undefined || String(value).trim() === "";
    }

    /**
     * Predict one profile from form values, checked and normalised like the Python form.
     *
     * input: {technologies: [..] or "a/b", free_text: "a, b", diploma, experience, city, company};
     * every field may be missing. Returns {label, probabilities: {class: p}, warnings: [..],
     * error: null | message, profile: canonical values (null when missing), uncertain_between,
     * argmax_label, decision_rule, set (labels, most probable first, at options.level, 0.9 by default),
     * set_level, set_empty (no class reached its floor), counterfactuals ([{changes, kinds, label,
     * probability, size}]; options.counterfactuals === false skips them)}.
     */
    function predict(input, options) {
      input = input || {};
      var level = conformal || (options && options.level !== undefined)
        ? checkLevel(options && options.level !== undefined ? options.level : DEFAULT_LEVEL) : null;
      var picked = Array.isArray(input.technologies) ? input.technologies
        : (blank(input.technologies) ? [] : splitTechnologies(input.technologies));
      var typed = blank(input.free_text) ? [] : splitTechnologies(input.free_text);
      var items = picked.concat(typed).map(cleanText).filter(function (item) { return item; });
      var experienceText = blank(input.experience) ? "" : String(input.experience).trim();
      var diploma = blank(input.diploma) || input.diploma === "(not given)" ? null : input.diploma;
      var city = blank(input.city) ? null : String(input.city).trim();
      var result = {label: null, probabilities: null, warnings: [], error: null, profile: null,
                    uncertain_between: null, argmax_label: null, decision_rule: null, caution: null,
                    set: null, set_level: level, set_empty: null, counterfactuals: null};
      if (experienceText) {
        var parsed = normaliser.experience(experienceText);
        if (parsed.problem) {
          result.error = "Experience '" + experienceText + "' is not usable: give a number of years between " +
            formatG(experienceMin) + " and " + formatG(experienceMax) +
            " (e.g. 3 or 3,5), or leave it empty if unknown.";
          return result;
        }
      }
      if (!items.length && diploma === null && !experienceText && city === null) {
        result.error = "The form is empty: give at least a technology, a diploma, an experience or a city.";
        return result;
      }
      var experience = normaliser.experience(experienceText).years;
      var profile = {
        technologies: normaliser.technologiesOf(items.join("/")),
        diploma: normaliser.diploma(diploma === null ? "" : diploma),
        experience: Number.isNaN(experience) ? null : experience,
        city: normaliser.city(city === null ? "" : city),
        company: normaliser.company(blank(input.company) ? "" : input.company),
      };
      result.profile = profile;
      var known = profile.technologies.filter(function (name) { return vocabulary.has(name); });
      if (items.length && !known.length && diploma === null && !experienceText && city === null) {
        result.error = "None of these technologies is known to the model, and nothing else was given: " +
          items.join(", ") + ".";
        return result;
      }
      var ignored = items.filter(function (item) {
        var names = technologyLookup.get(makeKey(item)) || [item];
        return !names.some(function (name) { return vocabulary.has(name); });
      });
      var unlike = ignored.length ? 1 : 0;  // how many inputs are unlike the training profiles
      if (ignored.length) {
        result.warnings.push("Ignored, not a technology the model knows: " + ignored.join(", ") + ".");
      }
      if (profile.city !== null && knownCities.size && !knownCities.has(profile.city)) {
        unlike += 1;
        result.warnings.push("The model never saw the city " + profile.city + ": it is treated as an unknown city.");
      }
      var knownYears = normaliser.knownExperience;
      if (!experienceText) {
        result.warnings.push("Experience not given: the model uses what it learnt from profiles without it.");
      } else if (knownYears.length && !(experience >= knownYears[0] && experience <= knownYears[knownYears.length - 1])) {
        unlike += 2;  // beyond every training profile: the model extrapolates
        result.warnings.push("No training profile has " + formatG(experience) + " years of experience (they have " +
          formatG(knownYears[0]) + " to " + formatG(knownYears[knownYears.length - 1]) +
          "): the model never saw such a profile.");
      } else if (knownYears.length && knownYears.indexOf(experience) < 0) {
        unlike += 1;
        result.warnings.push("No training profile has exactly " + formatG(experience) + " years of experience: the " +
          "model reads the exact number as a category it never saw and relies on the other inputs.");
      }
      var stack = Array.from(new Set(known)).sort().join("/");
      if (known.length && normaliser.knownStacks.size && !normaliser.knownStacks.has(stack)) {
        unlike += 1;
        result.warnings.push("No training profile lists exactly these technologies (" + normaliser.knownStacks.size +
          " distinct stacks in training): the model combines what it learnt from each one.");
      }
      if (!known.length) {
        unlike += 2;  // technologies decide most profiles: without one, the rest is a weak guide
        result.warnings.push("No technology the model knows: technologies decide most profiles, so this " +
          "prediction rests on the diploma, experience and city alone.");
      }
      result.caution = unlike >= 2 ? CAUTION : null;
      var probabilities = probabilitiesOf(profile);
      var chosen = decide(probabilities);
      var order = probabilities.map(function (p, c) { return c; })
        .sort(function (a, b) { return probabilities[b] - probabilities[a] || a - b; });
      result.label = classes[chosen];
      result.argmax_label = classes[order[0]];
      result.probabilities = {};
      classes.forEach(function (label, c) { result.probabilities[label] = probabilities[c]; });
      if (probabilities[order[0]] - probabilities[order[1]] < bundle.uncertain_margin) {
        result.uncertain_between = [classes[order[0]], classes[order[1]]];
      }
      result.decision_rule = {weighted_class: bundle.decision.weighted_class, weight: bundle.decision.weight,
                              decided: result.label !== result.argmax_label};
      if (conformal) {
        var members = predictionSet(probabilities, chosen, level);
        result.set = members.set;
        result.set_empty = members.empty;
      }
      if (!options || options.counterfactuals !== false) {
        result.counterfactuals = counterfactualsOf(profile, result.label);
      }
      return result;
    }

    return {predict: predict, bundle: bundle, rawValues: function (profile) {
      return model.rawValues(catboostRow(profile));
    }};
  }

  var api = {createPredictor: createPredictor, formatG: formatG, makeKey: makeKey, calcHash: calcHash};
  root.DatajobsEvaluator = api;
  if (root.datajobsPredictorBundle && !root.datajobsPredictor) {
    root.datajobsPredictor = createPredictor(root.datajobsPredictorBundle);
  }
  if (typeof module === "object" && module.exports) { module.exports = api; }
})(typeof globalThis !== "undefined" ? globalThis : this);
