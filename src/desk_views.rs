//! `steward desk`: the agents' saved views of the Temporal UI. The UI
//! keeps saved views and table columns in the browser's local storage, so
//! Steward prints a link per view (the UI opens a `?query=` link as that
//! filter) and a snippet that installs the views and the ticket columns in
//! the browser it is pasted into. The views are `docs/desk-views.json`,
//! which the browser test installs the same way.

use anyhow::Context;
use serde::Deserialize;

/// The views and columns, as committed.
pub const DESK_VIEWS_JSON: &str = include_str!("../docs/desk-views.json");

#[derive(Debug, Deserialize)]
pub struct DeskViews {
    pub namespace: String,
    pub columns: Vec<String>,
    pub views: Vec<View>,
}

#[derive(Debug, Deserialize)]
pub struct View {
    pub id: String,
    pub name: String,
    /// A list filter; `{agent}` stands for the agent's name.
    pub query: String,
}

impl DeskViews {
    /// The committed views with `{agent}` filled in. Names go into a
    /// quoted keyword, so quotes and backslashes are dropped from them.
    pub fn for_agent(agent: &str) -> anyhow::Result<Self> {
        let agent: String = agent
            .chars()
            .filter(|c| !matches!(c, '"' | '\'' | '\\'))
            .collect();
        let mut desk: DeskViews =
            serde_json::from_str(DESK_VIEWS_JSON).context("docs/desk-views.json")?;
        for view in &mut desk.views {
            view.query = view.query.replace("{agent}", &agent);
        }
        Ok(desk)
    }

    /// The UI link that opens `view`'s filter.
    pub fn url(&self, ui: &str, view: &View) -> String {
        let query: String = url::form_urlencoded::byte_serialize(view.query.as_bytes()).collect();
        format!(
            "{}/namespaces/{}/workflows?query={query}",
            ui.trim_end_matches('/'),
            self.namespace
        )
    }

    /// JavaScript for the UI page's console: stores the views and columns
    /// where the UI 2.54 reads them (`saved-workflow-queries`,
    /// `namespace-workflow-table-columns`), then reloads.
    pub fn install_snippet(&self) -> String {
        let views: Vec<serde_json::Value> = self
            .views
            .iter()
            .map(|v| serde_json::json!({"id": v.id, "name": v.name, "query": v.query, "type": "user"}))
            .collect();
        let columns: Vec<serde_json::Value> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, label)| serde_json::json!({"label": label, "pinned": i < 2}))
            .collect();
        let ns = &self.namespace;
        format!(
            "localStorage.setItem('saved-workflow-queries', JSON.stringify({{{ns:?}: {views}}}));\n\
             localStorage.setItem('namespace-workflow-table-columns', JSON.stringify({{{ns:?}: {columns}}}));\n\
             location.reload();",
            views = serde_json::Value::from(views),
            columns = serde_json::Value::from(columns),
        )
    }
}

/// What `steward desk` prints.
pub fn print(ui: &str, agent: &str) -> anyhow::Result<()> {
    let desk = DeskViews::for_agent(agent)?;
    println!("Saved views (open a link, or install them with the snippet below):\n");
    for view in &desk.views {
        println!("  {:<22} {}", view.name, desk.url(ui, view));
    }
    println!(
        "\nTo install the views and the ticket columns, paste this into the browser console on {ui}:\n"
    );
    println!("{}", desk.install_snippet());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_views_parse_and_link_to_their_filters() {
        let desk = DeskViews::for_agent("sam").unwrap();
        assert_eq!(desk.views.len(), 4);
        let mine = desk.views.iter().find(|v| v.id == "steward-mine").unwrap();
        assert_eq!(mine.query, "TicketOwner=\"sam\" AND TicketStatus=\"human\"");
        assert_eq!(
            desk.url("http://127.0.0.1:8233/", mine),
            "http://127.0.0.1:8233/namespaces/default/workflows?query=TicketOwner%3D%22sam%22+AND+TicketStatus%3D%22human%22"
        );
    }

    #[test]
    fn an_agent_name_cannot_break_out_of_its_quotes() {
        let desk = DeskViews::for_agent("sam\" OR TicketStatus=\"closed").unwrap();
        let mine = desk.views.iter().find(|v| v.id == "steward-mine").unwrap();
        assert_eq!(
            mine.query,
            "TicketOwner=\"sam OR TicketStatus=closed\" AND TicketStatus=\"human\""
        );
    }

    #[test]
    fn the_snippet_stores_views_and_columns_for_the_namespace() {
        let snippet = DeskViews::for_agent("sam").unwrap().install_snippet();
        assert!(snippet.contains("'saved-workflow-queries'"));
        assert!(snippet.contains(r#""name":"Breached""#), "{snippet}");
        assert!(
            snippet.contains(r#"{"label":"TicketId","pinned":true}"#),
            "{snippet}"
        );
    }
}
