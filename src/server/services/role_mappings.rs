//! Role mappings: an organization's admins map the identity provider's `groups` attribute to an organization role
//! and team memberships. Each mapping has a unique name, the role and teams it grants, and rules on the groups:
//! *All are true* (every pattern matches one of the person's groups) or *Any is true* (at least one does); in a
//! pattern, `*` matches zero or more characters. At every SSO login, the matching mappings decide: the highest role
//! any of them grants (`member` when none matches) replaces the member's role, even one given by hand, and the teams
//! of matching mappings are joined while teams only non-matching mappings grant are left. A response without a
//! `groups` attribute (or with Microsoft's `groups.link` overage claim instead) changes nothing: the member keeps
//! the roles from the last mapping. No mapping demotes the last owner who can sign in.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::BTreeSet;

use crate::server::db::entities::{membership, organization, role_mapping, team, team_member};
use crate::server::db::{begin_write, conflict_on_unique};
use crate::server::services::actor::Actor;
use crate::server::services::audit::{self, AuditActor, AuditEvent};
use crate::server::services::authz::{also, authorize, Action};
use crate::server::services::organizations::keeps_an_owner_who_can_sign_in;
use crate::server::state::AppState;
use crate::shared::error::{AppError, AppResult, ErrorCode};
use crate::shared::models::{MappingPreview, Role, RoleMappingView, RoleMappingsPage, TeamOption};

/// The attribute identity providers send groups in.
pub const GROUPS_ATTRIBUTE: &str = "groups";
/// Microsoft Entra ID sends this instead of `groups` when a person is in too many groups (the "overage" claim).
pub const GROUPS_OVERAGE_ATTRIBUTE: &str = "http://schemas.microsoft.com/claims/groups.link";
/// Budgets (README, "Limits"): patterns per mapping and their length, mappings per organization, wildcard patterns
/// per organization, and the groups a login or a preview may bring. A login's evaluation costs a set lookup or a
/// binary search per exact, prefix or suffix pattern, and a linear match per group for each of the few wildcard
/// patterns.
pub const MAX_PATTERNS: usize = 20;
pub const MAX_PATTERN_CHARS: usize = 256;
/// Stars in one pattern: each is a search in every group it is matched against.
pub const MAX_PATTERN_STARS: usize = 4;
pub const MAX_MAPPINGS: u64 = 100;
/// Wildcard patterns (a `*` inside, or at both ends) are matched against every group, so they are counted over
/// the whole organization; exact, prefix and suffix patterns cost a lookup each.
pub const MAX_WILDCARD_PATTERNS: usize = 10;
/// More than three times what Entra ID sends before it switches to its overage claim (150).
pub const MAX_GROUPS: usize = 500;
pub const MAX_GROUP_CHARS: usize = 256;

/// How a mapping's patterns combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleKind {
    /// Every pattern matches at least one group.
    All,
    /// At least one pattern matches at least one group.
    Any,
}

impl RuleKind {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "all" => Some(RuleKind::All),
            "any" => Some(RuleKind::Any),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::All => "all",
            RuleKind::Any => "any",
        }
    }
}

/// A mapping as the evaluation needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MappingRule {
    pub name: String,
    pub role: Option<Role>,
    pub team_ids: Vec<i64>,
    pub kind: RuleKind,
    pub patterns: Vec<String>,
}

/// What the mappings grant for a set of groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Granted {
    /// The role: the highest a matching mapping grants, or `member`; `None` when no mapping grants a role at all
    /// (team-only mappings leave roles alone).
    pub role: Option<Role>,
    /// Teams of matching mappings.
    pub teams: BTreeSet<i64>,
    /// Teams that only mappings that did not match grant: the member leaves them.
    pub teams_to_leave: BTreeSet<i64>,
    /// Names of the matching mappings.
    pub matched: Vec<String>,
}

/// Whether `pattern` (with `*` for zero or more characters) matches the whole of `group`, in time linear in both
/// lengths: the text before the first star must open the group, the text after the last star must close it, and
/// the pieces between stars are found left to right, each at its earliest place after the previous one (earliest
/// is always right for `*`, so nothing is ever retried). Substring search is the standard library's two-way
/// algorithm, linear in the worst case.
pub fn pattern_matches(pattern: &str, group: &str) -> bool {
    let mut pieces = pattern.split('*');
    let first = pieces.next().unwrap_or_default();
    let Some(rest) = group.strip_prefix(first) else {
        return false;
    };
    let between: Vec<&str> = pieces.collect();
    let Some((last, middle)) = between.split_last() else {
        // No star: the whole group must equal the pattern.
        return rest.is_empty();
    };
    let Some(mut window) = rest.strip_suffix(last) else {
        return false;
    };
    for piece in middle.iter().filter(|p| !p.is_empty()) {
        match window.find(piece) {
            Some(at) => window = window.get(at + piece.len()..).unwrap_or_default(),
            None => return false,
        }
    }
    true
}

/// A wildcard pattern prepared once for matching many groups: its pieces' substring finders (memchr's, vectorized)
/// are built once instead of per group. Same result as [`pattern_matches`].
struct Wildcard<'p> {
    first: &'p str,
    last: &'p str,
    middle: Vec<memchr::memmem::Finder<'p>>,
}

impl<'p> Wildcard<'p> {
    fn new(pattern: &'p str) -> Self {
        let pieces: Vec<&str> = pattern.split('*').collect();
        let first = pieces.first().copied().unwrap_or_default();
        let last = if pieces.len() > 1 {
            pieces.last().copied().unwrap_or_default()
        } else {
            ""
        };
        let middle = pieces
            .get(1..pieces.len().saturating_sub(1))
            .unwrap_or_default()
            .iter()
            .filter(|p| !p.is_empty())
            .map(|p| memchr::memmem::Finder::new(p.as_bytes()))
            .collect();
        Self {
            first,
            last,
            middle,
        }
    }

    fn matches(&self, group: &str) -> bool {
        let Some(rest) = group.strip_prefix(self.first) else {
            return false;
        };
        let Some(window) = rest.strip_suffix(self.last) else {
            return false;
        };
        let mut window = window.as_bytes();
        for finder in &self.middle {
            match finder.find(window) {
                Some(at) => window = window.get(at + finder.needle().len()..).unwrap_or_default(),
                None => return false,
            }
        }
        true
    }
}

/// The shape of a pattern, which decides how it is matched against a whole group list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatternShape {
    /// No `*`: one set lookup.
    Exact,
    /// Stars only: matches any group.
    Anything,
    /// One trailing `*` (`eng-*`): a binary search in the sorted groups.
    Prefix,
    /// One leading `*` (`*-admins`): a binary search in the sorted reversed groups.
    Suffix,
    /// Anything else (`*admin*`, `a*b`): matched against every group, so an organization may have only a few.
    Wildcard,
}

pub fn shape_of(pattern: &str) -> PatternShape {
    let stars = pattern.matches('*').count();
    match stars {
        0 => PatternShape::Exact,
        _ if stars == pattern.chars().count() => PatternShape::Anything,
        1 if pattern.ends_with('*') => PatternShape::Prefix,
        1 if pattern.starts_with('*') => PatternShape::Suffix,
        _ => PatternShape::Wildcard,
    }
}

/// A person's groups prepared once per evaluation, so each pattern costs a lookup or a binary search instead of a
/// pass over every group (only wildcard patterns pass over them, and they are few by budget).
struct GroupIndex<'g> {
    all: &'g [String],
    exact: std::collections::HashSet<&'g str>,
    sorted: Vec<&'g str>,
    reversed: Vec<String>,
}

impl<'g> GroupIndex<'g> {
    fn new(groups: &'g [String]) -> Self {
        let mut sorted: Vec<&str> = groups.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        let mut reversed: Vec<String> = groups.iter().map(|g| g.chars().rev().collect()).collect();
        reversed.sort_unstable();
        Self {
            all: groups,
            exact: groups.iter().map(String::as_str).collect(),
            sorted,
            reversed,
        }
    }

    /// Whether some group in a sorted list starts with `prefix`: the first one not below it decides.
    fn starts_any<S: AsRef<str>>(sorted: &[S], prefix: &str) -> bool {
        let at = sorted.partition_point(|g| g.as_ref() < prefix);
        sorted
            .get(at)
            .is_some_and(|g| g.as_ref().starts_with(prefix))
    }

    fn any_matches(&self, pattern: &str) -> bool {
        match shape_of(pattern) {
            PatternShape::Exact => self.exact.contains(pattern),
            PatternShape::Anything => !self.all.is_empty(),
            PatternShape::Prefix => Self::starts_any(&self.sorted, pattern.trim_end_matches('*')),
            PatternShape::Suffix => {
                let reversed: String = pattern.trim_start_matches('*').chars().rev().collect();
                Self::starts_any(&self.reversed, &reversed)
            }
            PatternShape::Wildcard => {
                let compiled = Wildcard::new(pattern);
                self.all.iter().any(|g| compiled.matches(g))
            }
        }
    }
}

fn rule_matches(rule: &MappingRule, groups: &GroupIndex<'_>) -> bool {
    let matches = |pattern: &String| groups.any_matches(pattern);
    match rule.kind {
        RuleKind::All => !rule.patterns.is_empty() && rule.patterns.iter().all(matches),
        RuleKind::Any => rule.patterns.iter().any(matches),
    }
}

/// Evaluates the mappings against a person's groups (pure: the login and the preview use it alike).
pub fn evaluate(rules: &[MappingRule], groups: &[String]) -> Granted {
    let mut role = rules
        .iter()
        .any(|r| r.role.is_some())
        .then_some(Role::Member);
    let mut teams = BTreeSet::new();
    let mut other_teams = BTreeSet::new();
    let mut matched = Vec::new();
    let groups = GroupIndex::new(groups);
    for rule in rules {
        if rule_matches(rule, &groups) {
            if let Some(granted) = rule.role {
                role = role.max(Some(granted));
            }
            teams.extend(rule.team_ids.iter().copied());
            matched.push(rule.name.clone());
        } else {
            other_teams.extend(rule.team_ids.iter().copied());
        }
    }
    let teams_to_leave = other_teams.difference(&teams).copied().collect();
    Granted {
        role,
        teams,
        teams_to_leave,
        matched,
    }
}

/// A list as stored in a JSON text column (a list of ids or strings always serializes).
fn json_list<T: serde::Serialize>(items: &[T]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

fn parse_json_list<T: serde::de::DeserializeOwned>(raw: &str) -> Vec<T> {
    serde_json::from_str(raw).unwrap_or_default()
}

fn to_rule(row: &role_mapping::Model) -> MappingRule {
    MappingRule {
        name: row.name.clone(),
        role: row.role.as_deref().and_then(Role::parse),
        team_ids: parse_json_list(&row.team_ids),
        kind: RuleKind::parse(&row.rule_kind).unwrap_or(RuleKind::All),
        patterns: parse_json_list(&row.group_patterns),
    }
}

async fn rules_of(
    db: &impl ConnectionTrait,
    organization_id: i64,
) -> AppResult<Vec<role_mapping::Model>> {
    Ok(role_mapping::Entity::find()
        .filter(role_mapping::Column::OrganizationId.eq(organization_id))
        .order_by_asc(role_mapping::Column::Name)
        .all(db)
        .await?)
}

/// The input of a mapping, as an admin typed it.
pub struct MappingInput {
    pub name: String,
    pub role: Option<String>,
    pub team_ids: Vec<i64>,
    pub kind: String,
    /// One pattern per line (or comma-separated).
    pub patterns: String,
}

/// The checked parts of a mapping.
struct Checked {
    name: String,
    role: Option<Role>,
    team_ids: Vec<i64>,
    kind: RuleKind,
    patterns: Vec<String>,
}

/// Splits typed patterns or groups, one per line (not on commas: LDAP-style group names contain them), dropping
/// blanks.
pub fn split_patterns(raw: &str) -> Vec<String> {
    raw.split('\n')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn check(
    db: &impl ConnectionTrait,
    organization_id: i64,
    owner_role_allowed: AppResult<()>,
    input: MappingInput,
    replacing: Option<i64>,
) -> AppResult<Checked> {
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(AppError::new(ErrorCode::NameInvalid)
            .with_message("Name the mapping with 1 to 80 characters.")
            .on_field("name"));
    }
    let role = match input
        .role
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        None => None,
        Some(raw) => Some(
            Role::parse(raw)
                .ok_or_else(|| AppError::new(ErrorCode::RoleInvalid).on_field("role"))?,
        ),
    };
    if role == Some(Role::Owner) {
        owner_role_allowed.map_err(|err| err.on_field("role"))?;
    }
    let kind = RuleKind::parse(input.kind.trim()).ok_or_else(|| {
        AppError::new(ErrorCode::InvalidInput)
            .with_message("Choose \u{201c}All are true\u{201d} or \u{201c}Any is true\u{201d}.")
            .on_field("kind")
    })?;
    let patterns = split_patterns(&input.patterns);
    check_pattern_budget(&patterns)?;
    let wildcards = patterns
        .iter()
        .filter(|p| shape_of(p) == PatternShape::Wildcard)
        .count();
    if wildcards > 0 {
        let elsewhere: usize = rules_of(db, organization_id)
            .await?
            .iter()
            .filter(|row| Some(row.id) != replacing)
            .map(|row| {
                parse_json_list::<String>(&row.group_patterns)
                    .iter()
                    .filter(|p| shape_of(p) == PatternShape::Wildcard)
                    .count()
            })
            .sum();
        if elsewhere + wildcards > MAX_WILDCARD_PATTERNS {
            return Err(AppError::new(ErrorCode::RoleMappingTooManyWildcards)
                .with_message(format!(
                    "The organization's mappings may have at most {MAX_WILDCARD_PATTERNS} patterns with a * inside \
                     or at both ends (like *admin*); with this one they would have {}. Exact names, name* and \
                     *name are not limited this way.",
                    elsewhere + wildcards
                ))
                .on_field("patterns"));
        }
    }
    if patterns.is_empty() {
        return Err(AppError::new(ErrorCode::InvalidInput)
            .with_message(format!(
                "Enter 1 to {MAX_PATTERNS} group patterns, one per line, each at most {MAX_PATTERN_CHARS} \
                 characters; * matches any characters."
            ))
            .on_field("patterns"));
    }
    let known: BTreeSet<i64> = team::Entity::find()
        .filter(team::Column::OrganizationId.eq(organization_id))
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    if input.team_ids.iter().any(|id| !known.contains(id)) {
        return Err(AppError::new(ErrorCode::TeamNotFound).on_field("team_ids"));
    }
    if role.is_none() && input.team_ids.is_empty() {
        return Err(AppError::new(ErrorCode::InvalidInput)
            .with_message("Grant a role, a team, or both.")
            .on_field("role"));
    }
    let team_ids: BTreeSet<i64> = input.team_ids.into_iter().collect();
    Ok(Checked {
        name,
        role,
        team_ids: team_ids.into_iter().collect(),
        kind,
        patterns,
    })
}

fn view(row: &role_mapping::Model) -> RoleMappingView {
    let rule = to_rule(row);
    RoleMappingView {
        id: row.id,
        name: rule.name,
        role: rule.role,
        team_ids: rule.team_ids,
        kind: rule.kind.as_str().to_owned(),
        patterns: rule.patterns,
        updated_at: row.updated_at,
    }
}

/// The organization's mappings and teams, for its admins.
pub async fn page(
    state: &AppState,
    actor: &Actor,
    organization_id: i64,
) -> AppResult<RoleMappingsPage> {
    let standing = authorize(&state.db, actor, Action::ViewRoleMappings, organization_id).await?;
    let mut teams: Vec<TeamOption> = team_names(&state.db, organization_id)
        .await?
        .into_iter()
        .map(|(id, name)| TeamOption { id, name })
        .collect();
    teams.sort_by_key(|t| t.name.to_lowercase());
    Ok(RoleMappingsPage {
        organization_id,
        organization_name: standing.organization.name.clone(),
        my_role: standing.role,
        mappings: rules_of(&state.db, organization_id)
            .await?
            .iter()
            .map(view)
            .collect(),
        teams,
    })
}

fn name_taken(err: sea_orm::DbErr) -> AppError {
    conflict_on_unique(err, || {
        AppError::new(ErrorCode::RoleMappingNameTaken).on_field("name")
    })
}

/// Creates a mapping (admins; only owners map to the owner role).
pub async fn create(
    state: &AppState,
    actor: &Actor,
    organization_id: i64,
    input: MappingInput,
) -> AppResult<RoleMappingView> {
    let now = state.now();
    let txn = begin_write(&state.db).await?;
    let standing = authorize(&txn, actor, Action::ChangeRoleMapping, organization_id).await?;
    // Locked, so two admins adding a mapping at once cannot both pass the count.
    organization::Entity::find_by_id(organization_id)
        .lock_exclusive()
        .one(&txn)
        .await?;
    let existing = role_mapping::Entity::find()
        .filter(role_mapping::Column::OrganizationId.eq(organization_id))
        .count(&txn)
        .await?;
    if existing >= MAX_MAPPINGS {
        return Err(AppError::new(ErrorCode::RoleMappingLimit).with_message(format!(
            "This organization has {existing} role mappings, the most it may have ({MAX_MAPPINGS}). Delete or \
             merge some first."
        )));
    }
    let owner_role_allowed = also(&standing, Action::ChangeOwnerRoleMapping);
    let checked = check(&txn, organization_id, owner_role_allowed, input, None).await?;
    let row = role_mapping::ActiveModel {
        organization_id: Set(organization_id),
        name: Set(checked.name),
        role: Set(checked.role.map(|r| r.as_str().to_owned())),
        team_ids: Set(json_list(&checked.team_ids)),
        rule_kind: Set(checked.kind.as_str().to_owned()),
        group_patterns: Set(json_list(&checked.patterns)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(name_taken)?;
    audit_change(&txn, now, "role_mapping.created", &row, actor).await?;
    txn.commit().await?;
    Ok(view(&row))
}

/// Replaces a mapping's name, grants and rules.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    organization_id: i64,
    mapping_id: i64,
    input: MappingInput,
) -> AppResult<RoleMappingView> {
    let now = state.now();
    let txn = begin_write(&state.db).await?;
    let standing = authorize(&txn, actor, Action::ChangeRoleMapping, organization_id).await?;
    // Locked as in `create`, so two edits at once cannot both pass the organization's wildcard budget.
    organization::Entity::find_by_id(organization_id)
        .lock_exclusive()
        .one(&txn)
        .await?;
    let existing = find(&txn, organization_id, mapping_id).await?;
    let owner_role_allowed = also(&standing, Action::ChangeOwnerRoleMapping);
    if existing.role.as_deref() == Some(Role::Owner.as_str()) {
        owner_role_allowed.clone()?;
    }
    let checked = check(
        &txn,
        organization_id,
        owner_role_allowed,
        input,
        Some(mapping_id),
    )
    .await?;
    let mut active = existing.into_active_model();
    active.name = Set(checked.name);
    active.role = Set(checked.role.map(|r| r.as_str().to_owned()));
    active.team_ids = Set(json_list(&checked.team_ids));
    active.rule_kind = Set(checked.kind.as_str().to_owned());
    active.group_patterns = Set(json_list(&checked.patterns));
    active.updated_at = Set(now);
    let row = active.update(&txn).await.map_err(name_taken)?;
    audit_change(&txn, now, "role_mapping.changed", &row, actor).await?;
    txn.commit().await?;
    Ok(view(&row))
}

pub async fn delete(
    state: &AppState,
    actor: &Actor,
    organization_id: i64,
    mapping_id: i64,
) -> AppResult<()> {
    let now = state.now();
    let txn = begin_write(&state.db).await?;
    let standing = authorize(&txn, actor, Action::ChangeRoleMapping, organization_id).await?;
    let existing = find(&txn, organization_id, mapping_id).await?;
    if existing.role.as_deref() == Some(Role::Owner.as_str()) {
        also(&standing, Action::ChangeOwnerRoleMapping)?;
    }
    role_mapping::Entity::delete_by_id(existing.id)
        .exec(&txn)
        .await?;
    audit_change(&txn, now, "role_mapping.deleted", &existing, actor).await?;
    txn.commit().await?;
    Ok(())
}

async fn find(
    db: &impl ConnectionTrait,
    organization_id: i64,
    mapping_id: i64,
) -> AppResult<role_mapping::Model> {
    role_mapping::Entity::find_by_id(mapping_id)
        .filter(role_mapping::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::RoleMappingNotFound))
}

async fn audit_change(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    action: &'static str,
    row: &role_mapping::Model,
    actor: &Actor,
) -> AppResult<()> {
    let rule = to_rule(row);
    audit::record(
        txn,
        now,
        AuditEvent::new(action)
            .in_organization(row.organization_id)
            .by(actor.audited())
            .detail(format!(
                "\u{201c}{}\u{201d}: {} of [{}] grants {}{}",
                rule.name,
                if rule.kind == RuleKind::All {
                    "all"
                } else {
                    "any"
                },
                rule.patterns.join(", "),
                rule.role.map_or("no role", Role::as_str),
                if rule.team_ids.is_empty() {
                    String::new()
                } else {
                    format!(" and {} team(s)", rule.team_ids.len())
                }
            )),
    )
    .await
}

/// A mapping being typed, not saved yet: previewed in place of the saved mapping it edits (if any).
pub struct Draft {
    pub replacing: Option<i64>,
    pub input: MappingInput,
}

/// What the organization's mappings would grant for typed groups, with the draft mapping of the form (before
/// saving anything).
pub async fn preview(
    state: &AppState,
    actor: &Actor,
    organization_id: i64,
    raw_groups: &str,
    draft: Option<Draft>,
) -> AppResult<MappingPreview> {
    let standing = authorize(&state.db, actor, Action::ViewRoleMappings, organization_id).await?;
    let groups = split_patterns(raw_groups);
    check_preview_groups(&groups)?;
    let replacing = draft.as_ref().and_then(|d| d.replacing);
    let mut rules: Vec<MappingRule> = rules_of(&state.db, organization_id)
        .await?
        .iter()
        .filter(|row| Some(row.id) != replacing)
        .map(to_rule)
        .collect();
    if let Some(draft) = draft {
        let checked = check(
            &state.db,
            organization_id,
            also(&standing, Action::ChangeOwnerRoleMapping),
            draft.input,
            replacing,
        )
        .await?;
        rules.push(MappingRule {
            name: checked.name,
            role: checked.role,
            team_ids: checked.team_ids,
            kind: checked.kind,
            patterns: checked.patterns,
        });
    }
    let granted = evaluate(&rules, &groups);
    let names = team_names(&state.db, organization_id).await?;
    Ok(MappingPreview {
        groups,
        role: granted.role,
        teams: granted
            .teams
            .iter()
            .filter_map(|id| {
                names
                    .iter()
                    .find(|(tid, _)| tid == id)
                    .map(|(_, n)| n.clone())
            })
            .collect(),
        matched: granted.matched,
        has_mappings: !rules.is_empty(),
    })
}

async fn team_names(
    db: &impl ConnectionTrait,
    organization_id: i64,
) -> AppResult<Vec<(i64, String)>> {
    Ok(team::Entity::find()
        .filter(team::Column::OrganizationId.eq(organization_id))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect())
}

/// A mapping's patterns within their budgets (README, "Limits"), each refused with its own code.
fn check_pattern_budget(patterns: &[String]) -> AppResult<()> {
    if patterns.len() > MAX_PATTERNS {
        return Err(AppError::new(ErrorCode::RoleMappingTooManyPatterns)
            .with_message(format!(
                "A mapping may have at most {MAX_PATTERNS} group patterns; this one has {}.",
                patterns.len()
            ))
            .on_field("patterns"));
    }
    if let Some(long) = patterns
        .iter()
        .find(|p| p.chars().count() > MAX_PATTERN_CHARS)
    {
        return Err(AppError::new(ErrorCode::RoleMappingPatternTooLong)
            .with_message(format!(
                "A group pattern may have at most {MAX_PATTERN_CHARS} characters; one has {}.",
                long.chars().count()
            ))
            .on_field("patterns"));
    }
    if let Some(starry) = patterns
        .iter()
        .find(|p| p.matches('*').count() > MAX_PATTERN_STARS)
    {
        return Err(AppError::new(ErrorCode::RoleMappingPatternTooManyStars)
            .with_message(format!(
                "A group pattern may have at most {MAX_PATTERN_STARS} *; {:?} has {}.",
                crate::server::saml::core::xml::excerpt(starry, 40),
                starry.matches('*').count()
            ))
            .on_field("patterns"));
    }
    Ok(())
}

/// Typed preview groups within their budgets, each refused with its own code.
fn check_preview_groups(groups: &[String]) -> AppResult<()> {
    if groups.len() > MAX_GROUPS {
        return Err(AppError::new(ErrorCode::PreviewTooManyGroups)
            .with_message(format!(
                "Preview at most {MAX_GROUPS} groups ({} were given).",
                groups.len()
            ))
            .on_field("groups"));
    }
    if groups.iter().any(|g| g.chars().count() > MAX_GROUP_CHARS) {
        return Err(AppError::new(ErrorCode::PreviewGroupTooLong)
            .with_message(format!(
                "Preview groups of at most {MAX_GROUP_CHARS} characters each."
            ))
            .on_field("groups"));
    }
    Ok(())
}

/// The groups an SSO login asserted: `None` when the response has no `groups` attribute (or only the overage
/// claim), so the member keeps the roles of the last mapping.
#[derive(Clone, Copy)]
pub enum AssertedGroups<'a> {
    Present(&'a [String]),
    Missing,
    Overage,
}

/// What an organization's mappings decide at one SSO login, worked out before the login's transaction so no
/// pattern is matched while the database's write lock is held.
pub struct LoginPlan {
    organization_id: i64,
    decision: Decision,
}

enum Decision {
    NoMappings,
    Missing,
    Overage,
    Evaluated {
        /// The asserted groups as the audit log shows them (cut to a readable length).
        groups: String,
        granted: Granted,
        owner_mapping_exists: bool,
    },
}

/// How much of the asserted groups an audit event quotes.
const AUDITED_GROUPS_CHARS: usize = 1_000;

/// Reads the organization's mappings and evaluates them (pure CPU work, outside any transaction).
pub async fn plan_at_login(
    db: &impl ConnectionTrait,
    organization_id: i64,
    groups: AssertedGroups<'_>,
) -> AppResult<LoginPlan> {
    let rows = rules_of(db, organization_id).await?;
    let decision = match groups {
        _ if rows.is_empty() => Decision::NoMappings,
        AssertedGroups::Missing => Decision::Missing,
        AssertedGroups::Overage => Decision::Overage,
        AssertedGroups::Present(groups) => {
            let rules: Vec<MappingRule> = rows.iter().map(to_rule).collect();
            let joined = groups.join(", ");
            let quoted = match joined.char_indices().nth(AUDITED_GROUPS_CHARS) {
                Some((cut, _)) => format!(
                    "{}… ({} groups)",
                    joined.get(..cut).unwrap_or_default(),
                    groups.len()
                ),
                None => joined,
            };
            Decision::Evaluated {
                groups: quoted,
                granted: evaluate(&rules, groups),
                owner_mapping_exists: rules.iter().any(|r| r.role == Some(Role::Owner)),
            }
        }
    };
    Ok(LoginPlan {
        organization_id,
        decision,
    })
}

/// Applies a plan to the member who just signed in, in the login's transaction; audits what it applied (or why it
/// applied nothing).
pub async fn apply_at_login(
    txn: &DatabaseTransaction,
    plan: &LoginPlan,
    user_id: i64,
    ip: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let organization_id = plan.organization_id;
    let event = || {
        AuditEvent::new("role_mapping.applied")
            .in_organization(organization_id)
            .by(AuditActor::Person(user_id))
            .about(user_id)
            .from_address(ip)
    };
    let (groups, granted, owner_mapping_exists) = match &plan.decision {
        Decision::NoMappings => return Ok(()),
        Decision::Missing => {
            return audit::record(
                txn,
                now,
                event().detail(
                    "no groups attribute in the response: roles kept from the last mapping",
                ),
            )
            .await;
        }
        Decision::Overage => {
            return audit::record(
                txn,
                now,
                event().detail(
                    "the response has Microsoft's groups.link overage claim instead of groups (the person is in \
                     too many groups): roles kept from the last mapping; configure the identity provider to send \
                     only the groups you map",
                ),
            )
            .await;
        }
        Decision::Evaluated {
            groups,
            granted,
            owner_mapping_exists,
        } => (groups, granted, *owner_mapping_exists),
    };
    // Locked, so two owners signing in at once cannot each count on the other as the remaining owner.
    organization::Entity::find_by_id(organization_id)
        .lock_exclusive()
        .one(txn)
        .await?;
    let Some(member) = membership::Entity::find_by_id((organization_id, user_id))
        .one(txn)
        .await?
    else {
        return Ok(());
    };
    let current = Role::parse(&member.role).unwrap_or(Role::Member);
    let mut detail = format!(
        "groups [{groups}] matched [{}]: role {}",
        granted.matched.join(", "),
        granted
            .role
            .map_or("unchanged (no mapping grants a role)", Role::as_str)
    );
    let mut applied = true;
    if let Some(role) = granted.role.filter(|role| *role != current) {
        // Only owners write owner-role mappings; without one, mappings written by admins never demote an owner.
        if current == Role::Owner && !owner_mapping_exists {
            detail.push_str(
                " NOT applied to this owner: no mapping of the organization grants the owner role",
            );
            applied = false;
        } else if current == Role::Owner
            && !keeps_an_owner_who_can_sign_in(txn, organization_id, Some(user_id), None).await?
        {
            detail.push_str(
                " NOT applied: it would leave the organization without an owner who can sign in",
            );
            audit::record(
                txn,
                now,
                event()
                    .refused(ErrorCode::LastOwner.as_str())
                    .detail(detail.clone()),
            )
            .await?;
            applied = false;
        } else {
            let mut active = member.into_active_model();
            active.role = Set(role.as_str().to_owned());
            active.update(txn).await?;
        }
    }
    // Teams deleted since the mapping was written are skipped (the mapping forgets them with the team, too).
    let existing: BTreeSet<i64> = team_names(txn, organization_id)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    for team_id in granted.teams.intersection(&existing) {
        team_member::Entity::insert(team_member::ActiveModel {
            team_id: Set(*team_id),
            user_id: Set(user_id),
        })
        .on_conflict_do_nothing()
        .exec(txn)
        .await?;
    }
    if !granted.teams_to_leave.is_empty() {
        team_member::Entity::delete_many()
            .filter(team_member::Column::UserId.eq(user_id))
            .filter(team_member::Column::TeamId.is_in(granted.teams_to_leave.iter().copied()))
            .exec(txn)
            .await?;
    }
    if applied || !detail.contains("without an owner") {
        audit::record(txn, now, event().detail(detail)).await?;
    }
    Ok(())
}

/// Takes a deleted team out of the organization's mappings (in the deletion's transaction).
pub(in crate::server::services) async fn forget_team(
    txn: &DatabaseTransaction,
    organization_id: i64,
    team_id: i64,
) -> AppResult<()> {
    for row in rules_of(txn, organization_id).await? {
        let teams: Vec<i64> = parse_json_list(&row.team_ids);
        if teams.contains(&team_id) {
            let kept: Vec<i64> = teams.into_iter().filter(|id| *id != team_id).collect();
            let mut active = row.into_active_model();
            active.team_ids = Set(json_list(&kept));
            active.update(txn).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(
        name: &str,
        kind: RuleKind,
        patterns: &[&str],
        role: Option<Role>,
        teams: &[i64],
    ) -> MappingRule {
        MappingRule {
            name: name.into(),
            role,
            team_ids: teams.to_vec(),
            kind,
            patterns: patterns.iter().map(|p| p.to_string()).collect(),
        }
    }

    fn groups(list: &[&str]) -> Vec<String> {
        list.iter().map(|g| g.to_string()).collect()
    }

    #[test]
    fn the_group_index_agrees_with_matching_every_group() {
        let groups = groups(&[
            "eng-platform",
            "eng-web",
            "sso-admins",
            "all-staff",
            "CN=Ops,OU=Groups,DC=corp",
            "",
            "é-ünï",
        ]);
        let patterns = [
            "eng-*",
            "*-admins",
            "*admin*",
            "eng-web",
            "eng",
            "*",
            "**",
            "e*m",
            "CN=*,DC=corp",
            "*ünï",
            "é-*",
            "",
            "*-",
            "-*",
            "sso-admins*",
            "*all-staff",
            "a*b*c",
            "*eng-platform*",
        ];
        let index = GroupIndex::new(&groups);
        for pattern in patterns {
            assert_eq!(
                index.any_matches(pattern),
                groups.iter().any(|g| pattern_matches(pattern, g)),
                "{pattern}"
            );
        }
        assert_eq!(shape_of("eng-*"), PatternShape::Prefix);
        assert_eq!(shape_of("*-admins"), PatternShape::Suffix);
        assert_eq!(shape_of("*admin*"), PatternShape::Wildcard);
        assert_eq!(shape_of("**"), PatternShape::Anything);
        assert_eq!(shape_of("staff"), PatternShape::Exact);
    }

    #[test]
    fn hostile_patterns_and_groups_stay_linear() {
        let pattern = format!("*{}b", "a*".repeat(120));
        let group = "a".repeat(MAX_GROUP_CHARS);
        assert!(!pattern_matches(&pattern, &group));
        assert!(pattern_matches(&pattern.replace('b', ""), &group));
    }

    #[test]
    fn stars_match_zero_or_more_characters() {
        assert!(pattern_matches("eng-*", "eng-"));
        assert!(pattern_matches("eng-*", "eng-platform"));
        assert!(pattern_matches("*-admins", "cloud-admins"));
        assert!(pattern_matches("*", ""));
        assert!(pattern_matches("a*b*c", "aXXbYYc"));
        assert!(pattern_matches("a*b*c", "abc"));
        assert!(!pattern_matches("a*b*c", "acb"));
        assert!(!pattern_matches("eng-*", "Eng-platform"));
        assert!(!pattern_matches("admins", "admins2"));
        assert!(pattern_matches("**x", "x"));
        // Many stars against a long non-matching group stays fast (no exponential backtracking).
        let hostile = "*a".repeat(40);
        assert!(!pattern_matches(&hostile, &"a".repeat(39)));
    }

    #[test]
    fn all_needs_every_pattern_any_needs_one() {
        let rules = [
            rule(
                "admins",
                RuleKind::All,
                &["staff", "cloud-*"],
                Some(Role::Admin),
                &[1],
            ),
            rule("ops", RuleKind::Any, &["ops", "sre-*"], None, &[2]),
        ];
        let g = evaluate(&rules, &groups(&["staff", "cloud-eu"]));
        assert_eq!(g.role, Some(Role::Admin));
        assert_eq!(g.teams, BTreeSet::from([1]));
        assert_eq!(g.teams_to_leave, BTreeSet::from([2]));
        assert_eq!(g.matched, vec!["admins".to_string()]);

        let g = evaluate(&rules, &groups(&["staff", "sre-berlin"]));
        assert_eq!(g.role, Some(Role::Member));
        assert_eq!(g.teams, BTreeSet::from([2]));
        assert_eq!(g.teams_to_leave, BTreeSet::from([1]));
    }

    #[test]
    fn the_highest_role_wins_and_no_match_means_member() {
        let rules = [
            rule("a", RuleKind::Any, &["x"], Some(Role::Admin), &[]),
            rule("o", RuleKind::Any, &["y"], Some(Role::Owner), &[]),
        ];
        assert_eq!(
            evaluate(&rules, &groups(&["x", "y"])).role,
            Some(Role::Owner)
        );
        assert_eq!(evaluate(&rules, &groups(&["z"])).role, Some(Role::Member));
        assert_eq!(evaluate(&rules, &[]).role, Some(Role::Member));
    }

    #[test]
    fn team_only_mappings_leave_the_role_alone() {
        let rules = [rule("t", RuleKind::Any, &["x"], None, &[4])];
        let g = evaluate(&rules, &groups(&["x"]));
        assert_eq!(g.role, None);
        assert_eq!(g.teams, BTreeSet::from([4]));
    }

    #[test]
    fn a_team_granted_by_a_matching_mapping_is_never_left() {
        let rules = [
            rule("a", RuleKind::Any, &["x"], None, &[1, 2]),
            rule("b", RuleKind::Any, &["y"], None, &[2, 3]),
        ];
        let g = evaluate(&rules, &groups(&["x"]));
        assert_eq!(g.teams, BTreeSet::from([1, 2]));
        assert_eq!(g.teams_to_leave, BTreeSet::from([3]));
    }

    #[test]
    fn typed_patterns_split_on_lines_only() {
        assert_eq!(
            split_patterns(" a\n\n c*\r\nCN=Admins,OU=Groups,DC=corp\n"),
            vec!["a", "c*", "CN=Admins,OU=Groups,DC=corp"]
        );
    }
}
