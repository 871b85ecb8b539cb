//! The digital-asset knowledge test customers must pass before trading.
//!
//! Thai SEC rules require a knowledge test or training before service (since 30 August 2022),
//! and the firm must keep the test version and the pass record, so [`Grade`] carries the version.
//!
//! Tests are data (JSON), so compliance staff can revise questions without a code change; every
//! loaded test is validated. The customer-facing form gets [`KnowledgeTest::public_view`], which
//! leaves out the correct answers. The built-in [`default_test`] has 8 questions in English and
//! Thai on volatility, irreversible transfers, private keys, scams, account lending, fees,
//! deposit protection and withdrawal networks; its pass mark of 75 % is our proposal. The Thai
//! text should be reviewed by a native-speaking compliance officer before use.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Most questions in one test.
pub const QUESTIONS_MAX: usize = 100;
/// Fewest and most choices per question.
pub const CHOICES_MIN: usize = 2;
pub const CHOICES_MAX: usize = 10;
/// Longest question or choice text, in bytes.
pub const TEXT_MAX_BYTES: usize = 2000;
/// Longest id (test version, question id, choice id), in bytes.
pub const ID_MAX_BYTES: usize = 64;
/// Largest JSON document accepted.
pub const JSON_MAX_BYTES: usize = 1024 * 1024;

const DEFAULT_TEST_JSON: &str = include_str!("../data/knowledge-test-default.json");

/// One answer option.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: String,
    pub text_en: String,
    pub text_th: String,
}

/// One question with its correct choice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    pub text_en: String,
    pub text_th: String,
    pub choices: Vec<Choice>,
    /// The id of the correct choice.
    pub correct: String,
}

/// A versioned knowledge test.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnowledgeTest {
    /// Recorded with every grade, e.g. `talat-kt-2026.1`.
    pub version: String,
    /// Score needed to pass, 1–100.
    pub pass_mark_pct: u8,
    pub questions: Vec<Question>,
}

/// A question as shown to the customer: no correct answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicQuestion {
    pub id: String,
    pub text_en: String,
    pub text_th: String,
    pub choices: Vec<Choice>,
}

/// The test as shown to the customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicTest {
    pub version: String,
    pub pass_mark_pct: u8,
    pub questions: Vec<PublicQuestion>,
}

/// The result of one attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grade {
    /// The test version taken.
    pub version: String,
    /// Correct answers as a whole percentage, rounded down (so a pass is never rounded up).
    pub score_pct: u8,
    pub passed: bool,
    /// Ids of questions answered wrongly, in test order (to show which topics to revisit).
    pub wrong: Vec<String>,
}

/// Why a test or an attempt was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KnowledgeError {
    #[error("the knowledge test is not valid JSON: {0}")]
    Json(String),
    #[error("the knowledge test document is larger than {JSON_MAX_BYTES} bytes")]
    TooLarge,
    #[error("the knowledge test has no questions")]
    NoQuestions,
    #[error("the knowledge test has more than {QUESTIONS_MAX} questions")]
    TooManyQuestions,
    #[error("the pass mark must be 1–100 % (got {pass_mark_pct})")]
    PassMark { pass_mark_pct: u8 },
    #[error("the id {id:?} must be 1–{ID_MAX_BYTES} characters of a–z, A–Z, 0–9, '.', '-' and '_'")]
    BadId { id: String },
    #[error("question id {id:?} is used twice")]
    DuplicateQuestion { id: String },
    #[error("question {question:?} uses choice id {choice:?} twice")]
    DuplicateChoice { question: String, choice: String },
    #[error("question {question:?} must have {CHOICES_MIN}–{CHOICES_MAX} choices")]
    ChoiceCount { question: String },
    #[error("question {question:?}: its correct answer {correct:?} is not one of its choices")]
    CorrectNotAChoice { question: String, correct: String },
    #[error("question {question:?} has an empty or over-long text (at most {TEXT_MAX_BYTES} bytes)")]
    Text { question: String },
    #[error("there is no question {question:?} in this test")]
    UnknownQuestion { question: String },
    #[error("question {question:?} has not been answered")]
    MissingAnswer { question: String },
    #[error("{choice:?} is not a choice of question {question:?}")]
    UnknownChoice { question: String, choice: String },
}

fn check_id(id: &str) -> Result<(), KnowledgeError> {
    let ok = (1..=ID_MAX_BYTES).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if ok {
        Ok(())
    } else {
        Err(KnowledgeError::BadId { id: id.chars().take(ID_MAX_BYTES).collect() })
    }
}

fn check_text(text: &str, question: &str) -> Result<(), KnowledgeError> {
    if text.trim().is_empty() || text.len() > TEXT_MAX_BYTES {
        return Err(KnowledgeError::Text { question: question.to_owned() });
    }
    Ok(())
}

impl KnowledgeTest {
    /// Parses and validates a test from JSON.
    pub fn from_json(json: &str) -> Result<KnowledgeTest, KnowledgeError> {
        if json.len() > JSON_MAX_BYTES {
            return Err(KnowledgeError::TooLarge);
        }
        let test: KnowledgeTest = serde_json::from_str(json).map_err(|e| KnowledgeError::Json(e.to_string()))?;
        test.validate()?;
        Ok(test)
    }

    /// Checks: ≥ 1 question, unique ids, 2–10 choices with unique ids, the correct choice
    /// exists, texts present and bounded, pass mark 1–100.
    pub fn validate(&self) -> Result<(), KnowledgeError> {
        check_id(&self.version)?;
        if !(1..=100).contains(&self.pass_mark_pct) {
            return Err(KnowledgeError::PassMark { pass_mark_pct: self.pass_mark_pct });
        }
        if self.questions.is_empty() {
            return Err(KnowledgeError::NoQuestions);
        }
        if self.questions.len() > QUESTIONS_MAX {
            return Err(KnowledgeError::TooManyQuestions);
        }
        let mut question_ids = BTreeSet::new();
        for question in &self.questions {
            check_id(&question.id)?;
            if !question_ids.insert(question.id.as_str()) {
                return Err(KnowledgeError::DuplicateQuestion { id: question.id.clone() });
            }
            check_text(&question.text_en, &question.id)?;
            check_text(&question.text_th, &question.id)?;
            if !(CHOICES_MIN..=CHOICES_MAX).contains(&question.choices.len()) {
                return Err(KnowledgeError::ChoiceCount { question: question.id.clone() });
            }
            let mut choice_ids = BTreeSet::new();
            for choice in &question.choices {
                check_id(&choice.id)?;
                if !choice_ids.insert(choice.id.as_str()) {
                    return Err(KnowledgeError::DuplicateChoice { question: question.id.clone(), choice: choice.id.clone() });
                }
                check_text(&choice.text_en, &question.id)?;
                check_text(&choice.text_th, &question.id)?;
            }
            if !choice_ids.contains(question.correct.as_str()) {
                return Err(KnowledgeError::CorrectNotAChoice { question: question.id.clone(), correct: question.correct.clone() });
            }
        }
        Ok(())
    }

    /// The test without its answers, for the customer's form.
    pub fn public_view(&self) -> PublicTest {
        PublicTest {
            version: self.version.clone(),
            pass_mark_pct: self.pass_mark_pct,
            questions: self
                .questions
                .iter()
                .map(|q| PublicQuestion { id: q.id.clone(), text_en: q.text_en.clone(), text_th: q.text_th.clone(), choices: q.choices.clone() })
                .collect(),
        }
    }

    /// Grades one attempt: `answers` maps question id → choice id. Every question must be
    /// answered, and nothing else may be, so a tampered form cannot pass by omission.
    pub fn grade(&self, answers: &BTreeMap<String, String>) -> Result<Grade, KnowledgeError> {
        self.validate()?;
        for question_id in answers.keys() {
            if !self.questions.iter().any(|q| &q.id == question_id) {
                return Err(KnowledgeError::UnknownQuestion { question: question_id.chars().take(ID_MAX_BYTES).collect() });
            }
        }
        let mut wrong = Vec::new();
        for question in &self.questions {
            let answer = answers.get(&question.id).ok_or_else(|| KnowledgeError::MissingAnswer { question: question.id.clone() })?;
            if !question.choices.iter().any(|c| &c.id == answer) {
                return Err(KnowledgeError::UnknownChoice { question: question.id.clone(), choice: answer.chars().take(ID_MAX_BYTES).collect() });
            }
            if *answer != question.correct {
                wrong.push(question.id.clone());
            }
        }
        let total = self.questions.len();
        assert!(total >= 1 && wrong.len() <= total);
        let score_pct = ((total - wrong.len()) * 100 / total) as u8;
        Ok(Grade { version: self.version.clone(), score_pct, passed: score_pct >= self.pass_mark_pct, wrong })
    }
}

/// The built-in test (see the module documentation).
pub fn default_test() -> KnowledgeTest {
    KnowledgeTest::from_json(DEFAULT_TEST_JSON).expect("the built-in knowledge test is valid (tested)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn correct_answers(test: &KnowledgeTest) -> BTreeMap<String, String> {
        test.questions.iter().map(|q| (q.id.clone(), q.correct.clone())).collect()
    }

    fn a_wrong_choice(question: &Question) -> String {
        question.choices.iter().find(|c| c.id != question.correct).unwrap().id.clone()
    }

    #[test]
    fn default_test_is_valid_and_bilingual() {
        let test = default_test();
        assert_eq!(test.questions.len(), 8);
        assert_eq!(test.pass_mark_pct, 75);
        for q in &test.questions {
            assert!(crate::names::contains_thai(&q.text_th), "{}", q.id);
            assert!(q.choices.iter().all(|c| crate::names::contains_thai(&c.text_th)), "{}", q.id);
        }
        // The right answer is not always the same letter.
        let letters: BTreeSet<&str> = test.questions.iter().map(|q| q.correct.as_str()).collect();
        assert!(letters.len() >= 3);
    }

    #[test]
    fn grading() {
        let test = default_test();
        let mut answers = correct_answers(&test);
        let grade = test.grade(&answers).unwrap();
        assert_eq!((grade.score_pct, grade.passed), (100, true));
        assert_eq!(grade.version, "talat-kt-2026.1");
        assert!(grade.wrong.is_empty());
        // 6 of 8 = 75 %: passes exactly at the mark.
        for q in &test.questions[..2] {
            answers.insert(q.id.clone(), a_wrong_choice(q));
        }
        let grade = test.grade(&answers).unwrap();
        assert_eq!((grade.score_pct, grade.passed), (75, true));
        assert_eq!(grade.wrong, vec!["volatility".to_owned(), "irreversible_transfer".to_owned()]);
        // 5 of 8 = 62 %: fails.
        let q = &test.questions[2];
        answers.insert(q.id.clone(), a_wrong_choice(q));
        let grade = test.grade(&answers).unwrap();
        assert_eq!((grade.score_pct, grade.passed), (62, false));
    }

    #[test]
    fn refuses_bad_attempts() {
        let test = default_test();
        let mut answers = correct_answers(&test);
        answers.remove("fees");
        assert_eq!(test.grade(&answers), Err(KnowledgeError::MissingAnswer { question: "fees".to_owned() }));
        let mut answers = correct_answers(&test);
        answers.insert("bonus".to_owned(), "a".to_owned());
        assert_eq!(test.grade(&answers), Err(KnowledgeError::UnknownQuestion { question: "bonus".to_owned() }));
        let mut answers = correct_answers(&test);
        answers.insert("fees".to_owned(), "z".to_owned());
        assert!(matches!(test.grade(&answers), Err(KnowledgeError::UnknownChoice { .. })));
    }

    #[test]
    fn public_view_hides_answers() {
        let test = default_test();
        let json = serde_json::to_string(&test.public_view()).unwrap();
        assert!(!json.contains("correct"));
        assert!(json.contains("volatility"));
        assert_eq!(test.public_view().questions.len(), test.questions.len());
    }

    #[test]
    fn validation() {
        let good = default_test();
        let mut t = good.clone();
        t.questions.clear();
        assert_eq!(t.validate(), Err(KnowledgeError::NoQuestions));
        let mut t = good.clone();
        t.pass_mark_pct = 0;
        assert_eq!(t.validate(), Err(KnowledgeError::PassMark { pass_mark_pct: 0 }));
        t.pass_mark_pct = 101;
        assert_eq!(t.validate(), Err(KnowledgeError::PassMark { pass_mark_pct: 101 }));
        let mut t = good.clone();
        t.questions[1].id = t.questions[0].id.clone();
        assert!(matches!(t.validate(), Err(KnowledgeError::DuplicateQuestion { .. })));
        let mut t = good.clone();
        t.questions[0].correct = "z".to_owned();
        assert!(matches!(t.validate(), Err(KnowledgeError::CorrectNotAChoice { .. })));
        let mut t = good.clone();
        t.questions[0].choices[1].id = "a".to_owned();
        assert!(matches!(t.validate(), Err(KnowledgeError::DuplicateChoice { .. })));
        let mut t = good.clone();
        t.questions[0].choices.truncate(1);
        assert!(matches!(t.validate(), Err(KnowledgeError::ChoiceCount { .. })));
        let mut t = good.clone();
        t.questions[0].text_th = " ".to_owned();
        assert!(matches!(t.validate(), Err(KnowledgeError::Text { .. })));
        let mut t = good;
        t.questions[0].id = "has space".to_owned();
        assert!(matches!(t.validate(), Err(KnowledgeError::BadId { .. })));
        assert!(matches!(KnowledgeTest::from_json("{"), Err(KnowledgeError::Json(_))));
        let round_trip = serde_json::to_string(&default_test()).unwrap();
        assert_eq!(KnowledgeTest::from_json(&round_trip).unwrap(), default_test());
    }
}
