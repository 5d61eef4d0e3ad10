//! The one place where application errors become GraphQL answers.

use async_graphql::{ErrorExtensions, SimpleObject};
use siso_app::AppError;
use siso_domain::DomainError;

/// An error the user can fix: returned inside mutation payloads.
#[derive(Debug, Clone, SimpleObject)]
pub struct UserError {
    /// Stable machine code (e.g. `INSUFFICIENT_FUNDS`).
    pub code: String,
    /// The input field concerned, when there is one.
    pub field: Option<String>,
    /// A human explanation.
    pub message: String,
    /// The plug-in (`id@version`) that raised it, when a plug-in did.
    pub plugin: Option<String>,
}

impl From<DomainError> for UserError {
    fn from(e: DomainError) -> Self {
        UserError { code: e.code.into(), field: e.field.map(Into::into), message: e.message, plugin: None }
    }
}

/// A user error about one field.
pub fn field_error(code: &str, field: &str, message: &str) -> UserError {
    UserError { code: code.into(), field: Some(field.into()), message: message.into(), plugin: None }
}

/// Splits an application error: user-fixable ones become [`UserError`]s for the payload,
/// the rest become top-level GraphQL errors without internals.
///
/// A plug-in's veto becomes one error per reason, each naming the plug-in; a plug-in that
/// faulted, is quarantined or could not decide becomes one error naming it.
pub fn to_user_errors(e: AppError) -> Result<Vec<UserError>, async_graphql::Error> {
    let one = |code: &str, message: String, plugin: &str| {
        Ok(vec![UserError { code: code.into(), field: None, message, plugin: Some(plugin.into()) }])
    };
    match e {
        AppError::User(d) => Ok(vec![d.into()]),
        AppError::NotFound { kind, field } => Ok(vec![UserError {
            code: "NOT_FOUND".into(),
            field: Some(field.into()),
            message: format!("{kind} not found"),
            plugin: None,
        }]),
        AppError::Vetoed { plugin, issues } => Ok(issues
            .into_iter()
            .map(|i| UserError { code: i.code, field: i.field, message: i.message, plugin: Some(plugin.clone()) })
            .collect()),
        AppError::PluginFault(f) => one(
            "PLUGIN_FAULT",
            format!("the rules of plug-in {} could not run ({}): the change was not made", f.plugin, f.kind.code()),
            &f.plugin,
        ),
        AppError::PluginQuarantined { plugin, .. } => one(
            "PLUGIN_QUARANTINED",
            format!("plug-in {plugin} is quarantined after repeated faults: the change cannot be checked"),
            &plugin,
        ),
        AppError::PluginRefused { plugin, message } => {
            one("PLUGIN_ERROR", format!("plug-in {plugin} could not decide: {message}"), &plugin)
        }
        other => Err(to_graphql_error(other)),
    }
}

/// A top-level GraphQL error: internal detail goes to the log only.
pub fn to_graphql_error(e: AppError) -> async_graphql::Error {
    match e {
        AppError::Forbidden => {
            async_graphql::Error::new("not allowed").extend_with(|_, ext| ext.set("code", "FORBIDDEN"))
        }
        AppError::NotFound { kind, .. } => {
            async_graphql::Error::new(format!("{kind} not found")).extend_with(|_, ext| ext.set("code", "NOT_FOUND"))
        }
        AppError::User(d) => async_graphql::Error::new(d.message.clone()).extend_with(|_, ext| ext.set("code", d.code)),
        e @ (AppError::Vetoed { .. }
        | AppError::PluginFault(_)
        | AppError::PluginQuarantined { .. }
        | AppError::PluginRefused { .. }) => {
            let first = to_user_errors(e).ok().and_then(|v| v.into_iter().next());
            let (code, message) =
                first.map(|u| (u.code, u.message)).unwrap_or_else(|| ("PLUGIN_ERROR".into(), "plug-in error".into()));
            async_graphql::Error::new(message).extend_with(|_, ext| ext.set("code", code))
        }
        AppError::PluginsPending => {
            tracing::error!("plug-in answers pending outside a hooked run");
            async_graphql::Error::new("internal error").extend_with(|_, ext| ext.set("code", "INTERNAL"))
        }
        AppError::Internal(detail) => {
            tracing::error!(error = %detail, "internal error");
            async_graphql::Error::new("internal error").extend_with(|_, ext| ext.set("code", "INTERNAL"))
        }
    }
}

/// Gives every top-level error of a response a `code` extension, as front ends expect: errors
/// the application raised carry theirs already; the others come from GraphQL itself. A
/// document refused before it ran (syntax, validation, limits without a code of their own)
/// answers `BAD_REQUEST`; an argument refused while it ran (a malformed id or cursor)
/// answers `BAD_USER_INPUT`.
pub fn with_codes(response: &mut async_graphql::Response) {
    let code = if response.data == async_graphql::Value::Null { "BAD_REQUEST" } else { "BAD_USER_INPUT" };
    for e in &mut response.errors {
        let has_code = e.extensions.as_ref().is_some_and(|x| x.get("code").is_some());
        if !has_code {
            e.extensions.get_or_insert_with(Default::default).set("code", code);
        }
    }
}

/// Whether a response is a request error: GraphQL refused the request before running it (its
/// syntax, validation, variables or limits), or the server failed around it, so there is no
/// data to give. Such errors have no path; an error raised while the request ran has one, even
/// when it leaves the whole `data` null.
pub fn is_request_error(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}
