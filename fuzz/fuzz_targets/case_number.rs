//! 案号 (case numbers, 最高人民法院《关于人民法院案件案号的若干规定》) as callers type them.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(number) = ecenter_domain::CaseNumber::parse(text)
    {
        // What parses must print and parse back to itself.
        let again = ecenter_domain::CaseNumber::parse(&number.to_string()).expect("reparses");
        assert_eq!(again, number);
        // The court-code check answers for any code that parses, and its note to the reviewing
        // court stays a sentence, whatever the caller typed.
        if let Some(flag) = number.court_code_flag() {
            assert!(flag.chars().count() < 512, "flag of {} chars", flag.chars().count());
        }
    }
});
