//! The deployment files agree with the project: the Dockerfile builds and runs the binary that
//! exists, and cloudbuild.yaml and deploy/service.yaml use the image, port, variables and
//! secrets that monban actually reads. And the binary, started as the image starts it, works.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use monban::dev::mock_upstream::{Fault, MockOptions, MockUpstream};
use monban::keys::KeyAlg;
use serde_json::Value;

use crate::helpers::{browser_at_callback, keygen_at, serve_process};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{ROOT}/{path}")).unwrap()
}

fn yaml(path: &str) -> Value {
    serde_yaml_ng::from_str(&read(path)).unwrap_or_else(|e| panic!("{path} does not parse: {e}"))
}

#[test]
fn the_dockerfile_builds_and_runs_the_binary_that_exists() {
    let dockerfile = read("Dockerfile");
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_monban"))
        .file_name()
        .unwrap()
        .to_str()
        .unwrap();
    assert!(dockerfile.contains(&format!("cargo build --release --locked --bin {bin}")));
    assert!(dockerfile.contains(&format!("/src/target/release/{bin} /usr/local/bin/{bin}")));
    assert!(dockerfile.contains(&format!("ENTRYPOINT [\"/usr/local/bin/{bin}\"]")));
    assert!(dockerfile.contains("CMD [\"serve\"]"));
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_monban"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("serve"));
    assert!(dockerfile.contains("EXPOSE 8080") && dockerfile.contains("PORT=8080"));
    let user = dockerfile
        .lines()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("a USER line");
    let uid = user.split(':').next().unwrap().trim();
    assert!(
        uid != "root" && uid != "0",
        "the image must not run as root"
    );
    let ignore = read(".dockerignore");
    for kept_out in ["target/", ".git/", "keys/*"] {
        assert!(ignore.lines().any(|l| l == kept_out), "{kept_out}");
    }
}

/// What a deployment file configures: image (without registry and tag), port, env names,
/// secret names.
#[derive(Debug, PartialEq)]
struct Deployment {
    image: String,
    port: u64,
    env: BTreeSet<String>,
    secrets: BTreeSet<String>,
}

fn image_path(image: &str) -> String {
    let without_tag = image.rsplit_once(':').map_or(image, |(i, _)| i);
    without_tag.split('/').skip(2).collect::<Vec<_>>().join("/")
}

fn from_cloudbuild() -> Deployment {
    let doc = yaml("cloudbuild.yaml");
    let steps = doc["steps"].as_array().unwrap();
    let deploy = steps.iter().find(|s| s["id"] == "deploy").unwrap();
    let args: Vec<&str> = deploy["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let flag = |name: &str| {
        args.iter()
            .find_map(|a| a.strip_prefix(&format!("--{name}=")))
            .unwrap_or_else(|| panic!("--{name}"))
    };
    let mut env: BTreeSet<String> = flag("set-env-vars")
        .trim_start_matches("^@^")
        .split('@')
        .map(|kv| kv.split_once('=').unwrap().0.to_string())
        .collect();
    let mut secrets = BTreeSet::new();
    for mapping in flag("update-secrets").split(',') {
        let (target, secret) = mapping.split_once('=').unwrap();
        if !target.starts_with('/') {
            env.insert(target.to_string());
        }
        secrets.insert(secret.split(':').next().unwrap().to_string());
    }
    // Apply the default substitutions, as Cloud Build does.
    let mut image = flag("image").to_string();
    for (name, value) in doc["substitutions"].as_object().unwrap() {
        image = image.replace(&format!("${{{name}}}"), value.as_str().unwrap());
    }
    Deployment {
        image: image_path(&image),
        port: flag("port").parse().unwrap(),
        env,
        secrets,
    }
}

fn from_knative() -> Deployment {
    let doc = yaml("deploy/service.yaml");
    let spec = &doc["spec"]["template"]["spec"];
    let container = &spec["containers"][0];
    let mut secrets = BTreeSet::new();
    let env = container["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            if let Some(name) = e["valueFrom"]["secretKeyRef"]["name"].as_str() {
                secrets.insert(name.to_string());
            }
            e["name"].as_str().unwrap().to_string()
        })
        .collect();
    for volume in spec["volumes"].as_array().unwrap() {
        secrets.insert(volume["secret"]["secretName"].as_str().unwrap().to_string());
    }
    Deployment {
        image: image_path(container["image"].as_str().unwrap()),
        port: container["ports"][0]["containerPort"].as_u64().unwrap(),
        env,
        secrets,
    }
}

/// `KEY=value` lines of .env.example, commented or not.
fn env_example() -> HashMap<String, String> {
    read(".env.example")
        .lines()
        .filter_map(|l| {
            let l = l.trim_start_matches('#').trim();
            let (k, v) = l.split_once('=')?;
            k.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                .then(|| (k.to_string(), v.to_string()))
        })
        .collect()
}

#[test]
fn cloudbuild_and_the_knative_manifest_agree_with_each_other_and_with_the_config() {
    let cloud_build = from_cloudbuild();
    let knative = from_knative();
    assert_eq!(cloud_build, knative);
    assert_eq!(cloud_build.image, "monban/monban");
    assert_eq!(cloud_build.port, 8080);
    let documented = env_example();
    for key in &cloud_build.env {
        assert!(
            documented.contains_key(key),
            "{key} is deployed but not in .env.example"
        );
    }
    // Every MONBAN_ variable documented is one the configuration reads (unknown keys are errors).
    for (key, value) in &documented {
        if !key.starts_with("MONBAN_") || key == "MONBAN_CONFIG" {
            continue;
        }
        let env: HashMap<String, String> = [
            ("MONBAN_ISSUER", "https://login.example.org"),
            ("MONBAN_UPSTREAM__CLIENT_ID", "id"),
            ("MONBAN_UPSTREAM__CLIENT_SECRET", "secret"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .chain([(key.clone(), value.trim_matches('"').to_string())])
        .collect();
        if let Err(e) = monban::config::Config::load(&env) {
            assert!(!e.problem.contains("unknown field"), "{key}: {e}");
        }
    }
}

#[tokio::test]
async fn the_binary_started_as_the_image_starts_it_signs_people_in() {
    let mock = Arc::new(
        MockUpstream::start(MockOptions {
            client_id: "image-test".into(),
            client_secret: "image-test-secret".into(),
            fault: Fault::None,
        })
        .unwrap(),
    );
    // One key mounted as a file, one in the environment variable.
    let mounted = tempfile::tempdir().unwrap();
    keygen_at(mounted.path(), KeyAlg::Rs256, 3600);
    let env_key = monban::keys::generate_pem(KeyAlg::Es256).unwrap();
    let (mut child, issuer) = serve_process(&[
        ("K_SERVICE", "monban"),
        ("MONBAN_KEYS_DIR", mounted.path().to_str().unwrap()),
        ("MONBAN_SIGNING_KEYS", env_key.as_str()),
        ("MONBAN_UPSTREAM__ISSUER", mock.issuer()),
        ("MONBAN_UPSTREAM__CLIENT_ID", "image-test"),
        ("MONBAN_UPSTREAM__CLIENT_SECRET", "image-test-secret"),
        ("MONBAN_ALLOWED_DOMAINS", "lab.example.org"),
    ])
    .await;

    let (browser, callback) = browser_at_callback(&issuer, "grace").await;
    let jwks: Value = browser
        .get(format!("{issuer}/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);

    let done = browser.get(callback).send().await.unwrap();
    assert_eq!(done.status(), 303);
    let home = browser.get(format!("{issuer}/")).send().await.unwrap();
    assert!(home.text().await.unwrap().contains("Grace Hopper"));
    child.kill().await.unwrap();
}
