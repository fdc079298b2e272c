//! A setting the hub cannot use, named by its section and field, with a reason an operator can act
//! on: `[service.sms] password_file: /etc/ecenter/smsc.pass: No such file or directory`.

use std::fmt;
use std::path::Path;

/// What is wrong with one setting of the configuration file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The TOML table, e.g. `service.smtp.dkim`.
    pub section: String,
    /// The key within it, e.g. `private_key_file`; empty when the whole section is at fault.
    pub field: String,
    /// Why, in words; names the file when a file is at fault.
    pub reason: String,
}

impl ConfigError {
    /// `[section] field: reason`.
    pub fn new(section: &str, field: &str, reason: impl Into<String>) -> ConfigError {
        ConfigError {
            section: section.into(),
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The file a setting names cannot be read or used: `[section] field: path: why`.
    pub fn file(section: &str, field: &str, path: &Path, why: impl fmt::Display) -> ConfigError {
        ConfigError::new(section, field, format!("{}: {why}", path.display()))
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field.as_str() {
            "" => write!(f, "[{}] {}", self.section, self.reason),
            field => write!(f, "[{}] {field}: {}", self.section, self.reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setting_is_named_by_section_and_field() {
        let e = ConfigError::file(
            "service.sms",
            "password_file",
            Path::new("/etc/ecenter/smsc.pass"),
            "No such file or directory",
        );
        assert_eq!(
            e.to_string(),
            "[service.sms] password_file: /etc/ecenter/smsc.pass: No such file or directory"
        );
        let whole = ConfigError::new("service", "", "needs [seals]");
        assert_eq!(whole.to_string(), "[service] needs [seals]");
    }
}
