//! The deployment files agree with the project: the Dockerfile builds and runs the binary that
//! exists, and cloudbuild.yaml and deploy/service.yaml use the image, port, variables and
//! secrets that monban actually reads. And the binary, started as the image starts it, works.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use monban::dev::mock_upstream::{Fault, MockOptions, MockUpstream};
use monban::keys::KeyAlg;
use serde_json::Value;

use crate::helpers::{browser_at_callback, keygen_at, serve_process};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

pub(crate) fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{ROOT}/{path}")).unwrap()
}

pub(crate) fn yaml(path: &str) -> Value {
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

/// What a deployment file configures, with Cloud Build's default substitutions applied and
/// `$PROJECT_ID`, `$COMMIT_SHA` left as the placeholders `deploy/service.yaml` uses.
#[derive(Debug, PartialEq)]
pub struct Deployment {
    image: String,
    port: u64,
    service_account: String,
    memory: String,
    execution_environment: String,
    /// Plain variables, name to value.
    pub env: BTreeMap<String, String>,
    /// Secrets by target (a variable name or a file path) to (secret, version).
    pub secrets: BTreeMap<String, (String, String)>,
}

/// A step of cloudbuild.yaml and its arguments, with the substitutions applied: `overrides` as a
/// trigger would set them, the file's defaults for the rest.
fn cloudbuild_step(id: &str, overrides: &[(&str, &str)]) -> (Value, Vec<String>) {
    let doc = yaml("cloudbuild.yaml");
    let step = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("a step {id}"))
        .clone();
    let substitute = |arg: &str| {
        let mut arg = arg
            .replace("$PROJECT_ID", "PROJECT_ID")
            .replace("$COMMIT_SHA", "COMMIT_SHA");
        for (name, value) in overrides {
            assert!(
                doc["substitutions"].get(name).is_some(),
                "no substitution {name}"
            );
            arg = arg.replace(&format!("${{{name}}}"), value);
        }
        for (name, value) in doc["substitutions"].as_object().unwrap() {
            arg = arg.replace(&format!("${{{name}}}"), value.as_str().unwrap());
        }
        assert!(!arg.contains('$'), "unknown substitution in {arg}");
        arg
    };
    let args = step["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| substitute(a.as_str().unwrap()))
        .collect();
    (step, args)
}

/// The revision cloudbuild.yaml's deploy step makes, with these substitutions.
pub fn from_cloudbuild(overrides: &[(&str, &str)]) -> Deployment {
    let (_, args) = cloudbuild_step("deploy", overrides);
    let flag = |name: &str| {
        args.iter()
            .find_map(|a| a.strip_prefix(&format!("--{name}=")))
            .unwrap_or_else(|| panic!("--{name}"))
            .to_string()
    };
    assert!(
        !args.iter().any(|a| a.starts_with("--set-env-vars")),
        "--set-env-vars would drop variables set by the runbook"
    );
    let env = flag("update-env-vars")
        .split(',')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect();
    let secrets = flag("set-secrets")
        .split(',')
        .map(|mapping| {
            let (target, secret) = mapping.split_once('=').unwrap();
            let (name, version) = secret.split_once(':').unwrap();
            (target.to_string(), (name.to_string(), version.to_string()))
        })
        .collect();
    Deployment {
        image: flag("image"),
        port: flag("port").parse().unwrap(),
        service_account: flag("service-account"),
        memory: flag("memory"),
        execution_environment: flag("execution-environment"),
        env,
        secrets,
    }
}

fn from_knative() -> Deployment {
    let doc = yaml("deploy/service.yaml");
    let template = &doc["spec"]["template"];
    let spec = &template["spec"];
    let container = &spec["containers"][0];
    let mut env = BTreeMap::new();
    let mut secrets = BTreeMap::new();
    for e in container["env"].as_array().unwrap() {
        let name = e["name"].as_str().unwrap().to_string();
        let from = &e["valueFrom"]["secretKeyRef"];
        if from.is_null() {
            env.insert(name, e["value"].as_str().unwrap().to_string());
        } else {
            let secret = from["name"].as_str().unwrap().to_string();
            secrets.insert(name, (secret, from["key"].as_str().unwrap().to_string()));
        }
    }
    for mount in container["volumeMounts"].as_array().unwrap() {
        let volume = spec["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == mount["name"])
            .unwrap();
        let secret = volume["secret"]["secretName"].as_str().unwrap();
        for item in volume["secret"]["items"].as_array().unwrap() {
            let path = format!(
                "{}/{}",
                mount["mountPath"].as_str().unwrap(),
                item["path"].as_str().unwrap()
            );
            let version = item["key"].as_str().unwrap().to_string();
            secrets.insert(path, (secret.to_string(), version));
        }
    }
    Deployment {
        image: container["image"].as_str().unwrap().to_string(),
        port: container["ports"][0]["containerPort"].as_u64().unwrap(),
        service_account: spec["serviceAccountName"].as_str().unwrap().to_string(),
        memory: container["resources"]["limits"]["memory"]
            .as_str()
            .unwrap()
            .to_string(),
        execution_environment:
            template["metadata"]["annotations"]["run.googleapis.com/execution-environment"]
                .as_str()
                .unwrap()
                .to_string(),
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
    let cloud_build = from_cloudbuild(&[]);
    let knative = from_knative();
    assert_eq!(cloud_build, knative);
    assert_eq!(
        cloud_build.image,
        "asia-northeast1-docker.pkg.dev/PROJECT_ID/monban/monban:COMMIT_SHA"
    );
    assert_eq!(cloud_build.port, 8080);
    // 128 MiB exists only in the first-generation environment.
    assert_eq!(
        (
            cloud_build.memory.as_str(),
            cloud_build.execution_environment.as_str()
        ),
        ("128Mi", "gen1")
    );
    // The image deployed is the one the build step pushes.
    let (build, build_args) = cloudbuild_step("build", &[]);
    let script = build_args.join(" ");
    assert!(
        script.contains(&format!("--tag={} --push", cloud_build.image)),
        "{script}"
    );
    assert!(
        build["dir"].is_string(),
        "the build step names its folder (monorepos)"
    );
    // Every secret at a pinned version; the configuration file is where MONBAN_CONFIG points; the
    // signing kid is one of the mounted key files.
    for (target, (secret, version)) in &cloud_build.secrets {
        assert!(
            version.parse::<u32>().is_ok(),
            "{target}={secret}:{version} must be a pinned version, never latest"
        );
    }
    let config = &cloud_build.env["MONBAN_CONFIG"];
    assert_eq!(cloud_build.secrets[config].0, "monban-config");
    let keys_dir = &cloud_build.env["MONBAN_KEYS_DIR"];
    let kid = &cloud_build.env["MONBAN_SIGNING_KID"];
    let signing = cloud_build.secrets[&format!("{keys_dir}/{kid}.pem")].clone();
    assert_eq!(signing.0, "monban-signing-key");
    assert_eq!(
        cloud_build.service_account,
        "monban-runtime@PROJECT_ID.iam.gserviceaccount.com"
    );
    let documented = env_example();
    let variables = cloud_build.env.keys().chain(
        cloud_build
            .secrets
            .keys()
            .filter(|target| !target.starts_with('/')),
    );
    for key in variables {
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
            clock: monban::clock::Clock::system(),
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

#[test]
fn the_guide_names_what_the_deployment_files_use() {
    let guide = read("docs/deploy.md");
    let doc = yaml("cloudbuild.yaml");
    let substitutions = doc["substitutions"].as_object().unwrap();
    // Every substitution is explained in the guide, and the guide uses no other.
    for name in substitutions.keys() {
        assert!(
            guide.contains(name.as_str()),
            "the guide never names {name}"
        );
    }
    let mut rest = guide.as_str();
    while let Some(at) = rest.find("`_") {
        let name: String = rest[at + 1..]
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || *c == '_')
            .collect();
        if name.len() > 1 && !name.starts_with("__") {
            assert!(substitutions.contains_key(&name), "the guide names {name}");
        }
        rest = &rest[at + 2..];
    }
    // Every secret the revision reads is created by a command of the guide.
    let deployment = from_cloudbuild(&[]);
    for (secret, _) in deployment.secrets.values() {
        assert!(
            guide.contains(&format!("gcloud secrets create {secret} ")),
            "the guide never creates {secret}"
        );
        assert!(guide.contains(&format!(
            "gcloud secrets add-iam-policy-binding {secret} --member=serviceAccount:$RUNTIME_SA"
        )));
    }
    // The region, the service accounts and the first key are the ones cloudbuild.yaml deploys.
    let region = substitutions["_REGION"].as_str().unwrap();
    assert!(guide.contains(&format!("REGION={region}\n")));
    let runtime = deployment
        .service_account
        .replace("PROJECT_ID", "my-lab-project");
    assert!(guide.contains(&format!("RUNTIME_SA={runtime}\n")));
    let kid = &deployment.env["MONBAN_SIGNING_KID"];
    assert!(guide.contains(&format!("-out keys/{kid}.pem")));
    assert!(guide.contains(substitutions["_KEY_FILES"].as_str().unwrap()));
    // Files the guide hands to gcloud exist.
    for file in [
        "deploy/cleanup-policy.json",
        "deploy/alert-refused-sign-ins.json",
        "deploy/service.yaml",
    ] {
        assert!(guide.contains(file), "{file}");
        let text = read(file);
        if file.ends_with(".json") {
            serde_json::from_str::<Value>(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        }
    }
    // The alert counts the metric the guide creates, from the event monban writes.
    let alert = read("deploy/alert-refused-sign-ins.json");
    assert!(alert.contains("logging.googleapis.com/user/monban-refused-sign-ins"));
    assert!(guide.contains("gcloud logging metrics create monban-refused-sign-ins"));
}

#[test]
fn the_gate_sidecar_runs_the_gate_the_binary_has_in_front_of_a_localhost_app() {
    let service = yaml("deploy/gate-service.yaml");
    let spec = &service["spec"]["template"]["spec"];
    let containers = spec["containers"].as_array().unwrap();
    let [gate, app] = [&containers[0], &containers[1]];
    assert_eq!(
        (gate["name"].as_str(), app["name"].as_str()),
        (Some("gate"), Some("app"))
    );
    // The same image the build pushes and monban's manifest runs, started as the gate.
    let monban = yaml("deploy/service.yaml");
    let image = &monban["spec"]["template"]["spec"]["containers"][0]["image"];
    assert_eq!(&gate["image"], image);
    assert_eq!(gate["args"], serde_json::json!(["gate"]));
    // Only the gate takes traffic, on PORT 8080, and is probed on its health path.
    assert_eq!(gate["ports"][0]["containerPort"], 8080);
    assert!(
        app.get("ports").is_none(),
        "the app must not be the ingress"
    );
    assert_eq!(
        gate["startupProbe"]["httpGet"]["path"],
        monban::gate::HEALTH_PATH
    );
    let deps = &service["spec"]["template"]["metadata"]["annotations"]["run.googleapis.com/container-dependencies"];
    assert_eq!(deps, "{\"gate\":[\"app\"]}");
    // Its variables are exactly what `monban gate` reads; secrets filled in, they load.
    let mut env = HashMap::new();
    let mut secrets = Vec::new();
    for var in gate["env"].as_array().unwrap() {
        let name = var["name"].as_str().unwrap().to_string();
        let value = match var.get("value") {
            Some(v) => v.as_str().unwrap().to_string(),
            None => {
                secrets.push(
                    var["valueFrom"]["secretKeyRef"]["name"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                );
                "DDWpQgde_2tuFStCu4bg9LNSJ1FVKzW7l3sBkWX7kfg".to_string()
            }
        };
        env.insert(name, value);
    }
    let config = monban::gate::GateConfig::load(&env).unwrap();
    // The upstream is the app's port, on localhost.
    assert_eq!(config.upstream.host_str(), Some("127.0.0.1"));
    assert_eq!(
        config.upstream.port().map(u64::from),
        app["startupProbe"]["tcpSocket"]["port"].as_u64()
    );
    // The guide creates each secret and lets the gate's account read it.
    let guide = read("docs/deploy.md");
    for secret in secrets {
        assert!(
            guide.contains(&format!("gcloud secrets create {secret} ")),
            "{secret}"
        );
        assert!(
            guide.contains(&format!(
                "add-iam-policy-binding {secret} --member=serviceAccount:notebooks-runtime@"
            )),
            "{secret}"
        );
    }
    assert!(
        spec["serviceAccountName"]
            .as_str()
            .unwrap()
            .starts_with("notebooks-runtime@")
    );
}
