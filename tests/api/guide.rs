//! The guide agrees with Google's documentation where parsing alone cannot tell, and the README
//! with the code: the images of `deploy/gate-service.yaml` come from registries Cloud Run deploys
//! from, `deploy/service.yaml`'s ingress is the one the guide chooses, and the README's endpoint
//! table lists every route and nothing else.

use std::collections::BTreeSet;

use crate::deploy::{read, yaml};

/// Cloud Run deploys images from Artifact Registry (`REGION-docker.pkg.dev/…`) and Docker Hub
/// (`docker.io/…`, or a name without a registry host); any other registry needs an Artifact
/// Registry remote repository in front.
fn cloud_run_deploys(image: &str) -> bool {
    let first = image.split('/').next().unwrap_or_default();
    let has_host = image.contains('/') && (first.contains('.') || first.contains(':'));
    !has_host || first.ends_with("-docker.pkg.dev") || first == "docker.io"
}

#[test]
fn every_image_of_the_gate_service_comes_from_a_registry_cloud_run_deploys_from() {
    assert!(!cloud_run_deploys(
        "quay.io/jupyter/base-notebook:2025-11-17"
    ));
    assert!(cloud_run_deploys("jupyter/base-notebook"));
    let service = yaml("deploy/gate-service.yaml");
    let containers = service["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap();
    for container in containers {
        let image = container["image"].as_str().unwrap();
        assert!(
            cloud_run_deploys(image),
            "{image}: not from Artifact Registry or Docker Hub"
        );
    }
    // The notebook's image is quay.io's through the guide's remote repository.
    let guide = read("docs/deploy.md");
    assert!(guide.contains(
        "gcloud artifacts repositories create quay --repository-format=docker --location=$REGION --mode=remote-repository --remote-docker-repo=https://quay.io"
    ));
    assert!(containers.iter().any(|c| {
        c["image"]
            .as_str()
            .unwrap()
            .starts_with("asia-northeast1-docker.pkg.dev/PROJECT_ID/quay/jupyter/")
    }));
}

#[test]
fn the_manifests_ingress_is_the_one_the_guide_chooses_for_each_deployment() {
    let service = yaml("deploy/service.yaml");
    let ingress = &service["metadata"]["annotations"]["run.googleapis.com/ingress"];
    assert_eq!(
        ingress, "INGRESS",
        "the guide's sed chooses it, never a fixed value"
    );
    let guide = read("docs/deploy.md");
    // The replace command substitutes it, and the guide says which value for which choice.
    assert!(guide.contains(r#"-e "s/INGRESS/$INGRESS/" deploy/service.yaml > /tmp/monban.yaml"#));
    assert!(guide.contains("\nINGRESS=all\n"));
    assert!(guide.contains("`INGRESS=internal-and-cloud-load-balancing`"));
    assert!(guide.contains("--ingress=internal-and-cloud-load-balancing"));
}

/// The routed paths of a route table in `file`, whose constants are defined in `defined_in`.
fn routed(file: &str, defined_in: &[&str]) -> BTreeSet<String> {
    let table = read(file);
    let mut paths = BTreeSet::new();
    for source in defined_in {
        for line in read(source).lines() {
            let Some(rest) = line.strip_prefix("pub const ") else {
                continue;
            };
            let Some((name, value)) = rest.split_once(": &str = \"") else {
                continue;
            };
            if name.ends_with("_PATH") && table.contains(name) {
                paths.insert(value.trim_end_matches("\";").to_string());
            }
        }
    }
    paths
}

#[test]
fn the_readme_lists_every_route_and_nothing_that_is_not_one() {
    let mut routes = routed(
        "src/http/app.rs",
        &["src/protocol/paths.rs", "src/http/pages.rs"],
    );
    routes.extend(routed("src/gate/app.rs", &["src/gate/mod.rs"]));
    assert!(
        routes.contains("/introspect") && routes.contains("/_monban/start"),
        "{routes:?}"
    );
    let readme = read("README.md");
    // monban's table, then the gate's.
    let tables: Vec<&str> = (readme.split("| endpoint | what it is |").skip(1))
        .map(|t| t.split("\n\n").next().unwrap())
        .collect();
    assert_eq!(tables.len(), 2, "monban's endpoint table and the gate's");
    let mut listed = BTreeSet::new();
    for row in tables
        .iter()
        .flat_map(|t| t.lines())
        .filter(|l| l.starts_with("| `"))
    {
        let first = row.split(" | ").next().unwrap();
        for code in first.split('`').skip(1).step_by(2) {
            let path = code.rsplit(' ').next().unwrap();
            assert!(path.starts_with('/'), "{code}: not METHOD /path");
            listed.insert(path.to_string());
        }
    }
    assert_eq!(listed, routes, "README endpoint table vs the route tables");
}
