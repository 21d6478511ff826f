//! The JS surface: the `Widget` class (errors are JS `Error`s with the reason).

use baton_core::program::AttrInput;
use wasm_bindgen::prelude::*;

/// A visitor under a compiled scoring program.
#[wasm_bindgen(js_name = Widget)]
pub struct JsWidget(crate::Widget);

#[wasm_bindgen(js_class = Widget)]
impl JsWidget {
    /// A visitor for the program's bytes.
    #[wasm_bindgen(constructor)]
    pub fn new(program: &[u8]) -> Result<JsWidget, JsError> {
        crate::Widget::new(program)
            .map(JsWidget)
            .map_err(|e| JsError::new(&e))
    }

    /// The program format this build reads.
    #[wasm_bindgen(js_name = formatVersion)]
    pub fn format_version() -> u16 {
        baton_core::program::FORMAT_VERSION
    }

    /// The rule names, in program order.
    #[wasm_bindgen(js_name = ruleNames)]
    pub fn rule_names(&self) -> Vec<String> {
        self.0.rule_names()
    }

    /// 0 for a fit rule, 1 for an engagement rule.
    #[wasm_bindgen(js_name = ruleKinds)]
    pub fn rule_kinds(&self) -> Vec<u8> {
        self.0.rule_kinds()
    }

    /// The attributes the rules read.
    #[wasm_bindgen(js_name = attributeNames)]
    pub fn attribute_names(&self) -> Vec<String> {
        self.0.attribute_names()
    }

    /// The criteria sets' names.
    #[wasm_bindgen(js_name = setNames)]
    pub fn set_names(&self) -> Vec<String> {
        self.0.set_names()
    }

    /// How many criteria each set has.
    #[wasm_bindgen(js_name = criterionCounts)]
    pub fn criterion_counts(&self) -> Vec<u32> {
        self.0.criterion_counts()
    }

    /// Name, ask and plugin of each criterion ("" for none), flattened.
    pub fn criteria(&self) -> Vec<String> {
        self.0.criteria()
    }

    /// `[verdict of each set..., outcome of each criterion...]` as of `asOfMicros`.
    pub fn qualify(&mut self, as_of_micros: f64) -> Result<Vec<f64>, JsError> {
        self.0.qualify(as_of_micros).map_err(|e| JsError::new(&e))
    }

    /// The MQL threshold.
    #[wasm_bindgen(js_name = mqlThreshold)]
    pub fn mql_threshold(&self) -> f64 {
        self.0.mql_threshold()
    }

    /// Sets a number attribute.
    #[wasm_bindgen(js_name = setNumber)]
    pub fn set_number(&mut self, name: &str, value: f64) -> bool {
        self.0.set_attribute(name, AttrInput::Number(value))
    }

    /// Sets a text attribute (a number or true/false attribute reads it as the lead file would).
    #[wasm_bindgen(js_name = setText)]
    pub fn set_text(&mut self, name: &str, value: &str) -> bool {
        self.0.set_attribute(name, AttrInput::Text(value))
    }

    /// Sets a true/false attribute.
    #[wasm_bindgen(js_name = setBool)]
    pub fn set_bool(&mut self, name: &str, value: bool) -> bool {
        self.0.set_attribute(name, AttrInput::Bool(value))
    }

    /// Empties an attribute.
    #[wasm_bindgen(js_name = clearAttribute)]
    pub fn clear_attribute(&mut self, name: &str) -> bool {
        self.0.set_attribute(name, AttrInput::Missing)
    }

    /// Adds a touch (microseconds since the epoch; empty texts are absent).
    #[wasm_bindgen(js_name = addTouch)]
    pub fn add_touch(
        &mut self,
        ts_micros: f64,
        kind: &str,
        channel: &str,
        team: &str,
        campaign: &str,
        asset: &str,
    ) -> Result<(), JsError> {
        self.0
            .add_touch(ts_micros, kind, channel, team, campaign, asset)
            .map_err(|e| JsError::new(&e))
    }

    /// Forgets the touches.
    #[wasm_bindgen(js_name = clearTouches)]
    pub fn clear_touches(&mut self) {
        self.0.clear_touches();
    }

    /// `[score, fit, engagement, mql, grade, tier, points of each rule...]` as of `asOfMicros`.
    pub fn score(&mut self, as_of_micros: f64) -> Result<Vec<f64>, JsError> {
        self.0.score(as_of_micros).map_err(|e| JsError::new(&e))
    }
}
