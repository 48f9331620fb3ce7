package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v4"

	"github.com/leafly/lightspeed-orders/pos"
)

// The files that run the service (deploy/, Dockerfile, .dockerignore) are
// read strictly, every field typed (an unknown or misspelt one fails), and
// checked against the program: each variable they set is one the service
// reads and their values pass its own checks, each probe and scrape path is
// served, ports, grace periods and names agree. No Docker or cluster runs
// here; this test is what checks the files.

// decodeStrict reads the one YAML document of path into v, refusing
// fields v does not have.
func decodeStrict(t *testing.T, path string, v any) {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(readFile(t, path)))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var more any
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		t.Fatalf("%s: want one YAML document: %v", path, err)
	}
}

// settingNames are the environment variables the service reads, asked of
// loadConfig itself.
func settingNames() map[string]bool {
	names := map[string]bool{}
	_, _ = loadConfig(func(k string) string { names[k] = true; return "" })
	return names
}

// Placeholder values for the secrets the files leave to the operator.
var secretPlaceholders = map[string]string{
	"AUTH_SECRET":              testSecret,
	"ENCRYPTION_KEY":           base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)),
	"LIGHTSPEED_CLIENT_ID":     "leafly-app",
	"LIGHTSPEED_CLIENT_SECRET": "leafly-app-secret",
	"POSTGRES_PASSWORD":        "0123456789abcdef",
	"DATABASE_URL":             "postgres://orders:secret@postgres:5432/orders?sslmode=disable",
}

// checkSettings checks env sets only settings the service reads and that
// the service accepts them as a production start would, and returns the
// configuration they make.
func checkSettings(t *testing.T, where string, env map[string]string) config {
	t.Helper()
	known := settingNames()
	for name := range env {
		if !known[name] {
			t.Errorf("%s sets %s, which the service does not read (server/config.go)", where, name)
		}
	}
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err == nil {
		err = cfg.checkLightspeedApp()
	}
	if err != nil {
		t.Errorf("%s: the service refuses these settings: %v", where, err)
	}
	if cfg.DatabaseURL == "" || cfg.Sandbox {
		t.Errorf("%s: want PostgreSQL (DATABASE_URL) and a Lightspeed app, not the sandbox", where)
	}
	return cfg
}

func portOfAddr(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	port, perr := strconv.Atoi(p)
	if err != nil || perr != nil {
		t.Fatalf("HTTP_ADDR %q has no port", addr)
	}
	return port
}

// servedPaths starts the service and returns which of paths answer 200.
func servedPaths(t *testing.T, paths ...string) map[string]bool {
	t.Helper()
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir()})
	served := map[string]bool{}
	for _, p := range paths {
		served[p] = serves(t, s.URL+p)
	}
	return served
}

type objectMeta struct {
	Name        string            `yaml:"name"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

type typeMeta struct {
	APIVersion string     `yaml:"apiVersion"`
	Kind       string     `yaml:"kind"`
	Metadata   objectMeta `yaml:"metadata"`
}

type labelSelector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

type envVar struct {
	Name      string `yaml:"name"`
	Value     string `yaml:"value"`
	ValueFrom *struct {
		SecretKeyRef struct {
			Name string `yaml:"name"`
			Key  string `yaml:"key"`
		} `yaml:"secretKeyRef"`
	} `yaml:"valueFrom"`
}

type k8sProbe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
	PeriodSeconds    int `yaml:"periodSeconds"`
	TimeoutSeconds   int `yaml:"timeoutSeconds"`
	FailureThreshold int `yaml:"failureThreshold"`
}

type k8sContainer struct {
	Name  string `yaml:"name"`
	Image string `yaml:"image"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Env            []envVar  `yaml:"env"`
	ReadinessProbe *k8sProbe `yaml:"readinessProbe"`
	LivenessProbe  *k8sProbe `yaml:"livenessProbe"`
	Lifecycle      struct {
		PreStop struct {
			Sleep struct {
				Seconds int `yaml:"seconds"`
			} `yaml:"sleep"`
		} `yaml:"preStop"`
	} `yaml:"lifecycle"`
	Resources struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   bool  `yaml:"readOnlyRootFilesystem"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

type k8sDeployment struct {
	typeMeta `yaml:",inline"`
	Spec     struct {
		Replicas             int           `yaml:"replicas"`
		RevisionHistoryLimit int           `yaml:"revisionHistoryLimit"`
		Selector             labelSelector `yaml:"selector"`
		Strategy             struct {
			Type          string `yaml:"type"`
			RollingUpdate struct {
				MaxSurge       int `yaml:"maxSurge"`
				MaxUnavailable int `yaml:"maxUnavailable"`
			} `yaml:"rollingUpdate"`
		} `yaml:"strategy"`
		Template struct {
			Metadata objectMeta `yaml:"metadata"`
			Spec     struct {
				TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
				SecurityContext               struct {
					RunAsNonRoot   bool `yaml:"runAsNonRoot"`
					RunAsUser      int  `yaml:"runAsUser"`
					RunAsGroup     int  `yaml:"runAsGroup"`
					FSGroup        int  `yaml:"fsGroup"`
					SeccompProfile struct {
						Type string `yaml:"type"`
					} `yaml:"seccompProfile"`
				} `yaml:"securityContext"`
				Containers []k8sContainer `yaml:"containers"`
				Volumes    []struct {
					Name     string    `yaml:"name"`
					EmptyDir *struct{} `yaml:"emptyDir"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type k8sService struct {
	typeMeta `yaml:",inline"`
	Spec     struct {
		Type     string            `yaml:"type"`
		Selector map[string]string `yaml:"selector"`
		Ports    []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

type ingressBackend struct {
	Service struct {
		Name string `yaml:"name"`
		Port struct {
			Name string `yaml:"name"`
		} `yaml:"port"`
	} `yaml:"service"`
}

type k8sIngress struct {
	typeMeta `yaml:",inline"`
	Spec     struct {
		IngressClassName string `yaml:"ingressClassName"`
		TLS              []struct {
			Hosts      []string `yaml:"hosts"`
			SecretName string   `yaml:"secretName"`
		} `yaml:"tls"`
		Rules []struct {
			Host string `yaml:"host"`
			HTTP struct {
				Paths []struct {
					Path     string         `yaml:"path"`
					PathType string         `yaml:"pathType"`
					Backend  ingressBackend `yaml:"backend"`
				} `yaml:"paths"`
			} `yaml:"http"`
		} `yaml:"rules"`
	} `yaml:"spec"`
}

type podDisruptionBudget struct {
	typeMeta `yaml:",inline"`
	Spec     struct {
		MinAvailable int           `yaml:"minAvailable"`
		Selector     labelSelector `yaml:"selector"`
	} `yaml:"spec"`
}

type horizontalPodAutoscaler struct {
	typeMeta `yaml:",inline"`
	Spec     struct {
		ScaleTargetRef struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
			Name       string `yaml:"name"`
		} `yaml:"scaleTargetRef"`
		MinReplicas int `yaml:"minReplicas"`
		MaxReplicas int `yaml:"maxReplicas"`
		Metrics     []struct {
			Type     string `yaml:"type"`
			Resource struct {
				Name   string `yaml:"name"`
				Target struct {
					Type               string `yaml:"type"`
					AverageUtilization int    `yaml:"averageUtilization"`
				} `yaml:"target"`
			} `yaml:"resource"`
		} `yaml:"metrics"`
		Behavior struct {
			ScaleDown struct {
				StabilizationWindowSeconds int `yaml:"stabilizationWindowSeconds"`
			} `yaml:"scaleDown"`
		} `yaml:"behavior"`
	} `yaml:"spec"`
}

type kustomization struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Labels     []struct {
		Pairs map[string]string `yaml:"pairs"`
	} `yaml:"labels"`
	Resources []string `yaml:"resources"`
	Images    []struct {
		Name    string `yaml:"name"`
		NewName string `yaml:"newName"`
		NewTag  string `yaml:"newTag"`
	} `yaml:"images"`
}

// kubernetesBase is deploy/kubernetes, every file read.
type kubernetesBase struct {
	kustomization kustomization
	deployment    k8sDeployment
	service       k8sService
	ingress       k8sIngress
	pdb           podDisruptionBudget
	hpa           horizontalPodAutoscaler
}

func readKubernetesBase(t *testing.T) kubernetesBase {
	t.Helper()
	const dir = "../deploy/kubernetes"
	var k kubernetesBase
	decodeStrict(t, filepath.Join(dir, "kustomization.yaml"), &k.kustomization)
	objects := map[string]struct {
		v          any
		meta       *typeMeta
		apiVersion string
		kind       string
	}{
		"deployment.yaml": {&k.deployment, &k.deployment.typeMeta, "apps/v1", "Deployment"},
		"service.yaml":    {&k.service, &k.service.typeMeta, "v1", "Service"},
		"ingress.yaml":    {&k.ingress, &k.ingress.typeMeta, "networking.k8s.io/v1", "Ingress"},
		"pdb.yaml":        {&k.pdb, &k.pdb.typeMeta, "policy/v1", "PodDisruptionBudget"},
		"hpa.yaml":        {&k.hpa, &k.hpa.typeMeta, "autoscaling/v2", "HorizontalPodAutoscaler"},
	}
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range files {
		name := filepath.Base(f)
		if name == "kustomization.yaml" {
			continue
		}
		o, ok := objects[name]
		if !ok {
			t.Errorf("%s: a file this test does not read: give it a type here", f)
			continue
		}
		want = append(want, name)
		decodeStrict(t, f, o.v)
		if o.meta.APIVersion != o.apiVersion || o.meta.Kind != o.kind || o.meta.Metadata.Name != "lightspeed-orders" {
			t.Errorf("%s: %s %s named %q, want %s %s named lightspeed-orders", name, o.meta.APIVersion, o.meta.Kind, o.meta.Metadata.Name, o.apiVersion, o.kind)
		}
	}
	got := slices.Sorted(slices.Values(k.kustomization.Resources))
	if slices.Sort(want); !slices.Equal(got, want) || k.kustomization.Kind != "Kustomization" {
		t.Errorf("kustomization.yaml (%s) lists %v, want every manifest of the folder: %v", k.kustomization.Kind, got, want)
	}
	return k
}

// TestDeployKubernetes checks the kustomize base against the program.
func TestDeployKubernetes(t *testing.T) {
	t.Parallel()
	k := readKubernetesBase(t)
	pod := k.deployment.Spec.Template
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]

	env := map[string]string{}
	secrets := map[string]bool{}
	for _, e := range c.Env {
		if _, dup := env[e.Name]; dup {
			t.Errorf("deployment.yaml sets %s twice", e.Name)
		}
		env[e.Name] = e.Value
		if e.ValueFrom != nil {
			ref := e.ValueFrom.SecretKeyRef
			if ref.Name != "lightspeed-orders" || ref.Key != e.Name {
				t.Errorf("%s from Secret %s key %s, want Secret lightspeed-orders key %s", e.Name, ref.Name, ref.Key, e.Name)
			}
			secrets[e.Name] = true
			env[e.Name] = secretPlaceholders[e.Name]
		}
	}
	for _, name := range []string{"DATABASE_URL", "AUTH_SECRET", "ENCRYPTION_KEY", "LIGHTSPEED_CLIENT_ID", "LIGHTSPEED_CLIENT_SECRET"} {
		if !secrets[name] {
			t.Errorf("deployment.yaml: %s does not come from the Secret", name)
		}
	}
	cfg := checkSettings(t, "deploy/kubernetes/deployment.yaml", env)
	readme := readFile(t, "../README.md")
	for name := range secrets {
		if !strings.Contains(readme, "--from-literal="+name+"=") {
			t.Errorf("README.md's kubectl create secret does not set %s", name)
		}
	}

	port := portOfAddr(t, cfg.HTTPAddr)
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != port || c.Ports[0].Name != "http" {
		t.Errorf("container ports %+v, want http on %d (HTTP_ADDR)", c.Ports, port)
	}
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" || c.ReadinessProbe.HTTPGet.Port != "http" {
		t.Errorf("readiness probe %+v, want /readyz on http", c.ReadinessProbe)
	}
	if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" || c.LivenessProbe.HTTPGet.Port != "http" {
		t.Errorf("liveness probe %+v, want /healthz on http", c.LivenessProbe)
	}
	a := pod.Metadata.Annotations
	if a["prometheus.io/scrape"] != "true" || a["prometheus.io/port"] != strconv.Itoa(port) || a["prometheus.io/path"] != "/metrics" {
		t.Errorf("scrape annotations %v, want scrape true, port %d, path /metrics", a, port)
	}
	if c.ReadinessProbe != nil && c.LivenessProbe != nil {
		paths := []string{c.ReadinessProbe.HTTPGet.Path, c.LivenessProbe.HTTPGet.Path, a["prometheus.io/path"]}
		for p, ok := range servedPaths(t, paths...) {
			if !ok {
				t.Errorf("deployment.yaml probes or scrapes %s, which the service does not answer with 200", p)
			}
		}
	}

	grace := time.Duration(pod.Spec.TerminationGracePeriodSeconds) * time.Second
	preStop := time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	if grace <= preStop+cfg.ShutdownTimeout {
		t.Errorf("terminationGracePeriodSeconds %s is not longer than the preStop pause %s plus SHUTDOWN_TIMEOUT %s", grace, preStop, cfg.ShutdownTimeout)
	}
	for _, r := range []string{"cpu", "memory"} {
		if c.Resources.Requests[r] == "" {
			t.Errorf("no %s request", r)
		}
	}
	if c.Resources.Limits["memory"] == "" {
		t.Error("no memory limit")
	}
	sc, psc := c.SecurityContext, pod.Spec.SecurityContext
	if !psc.RunAsNonRoot || psc.RunAsUser != 65532 || !sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		!slices.Equal(sc.Capabilities.Drop, []string{"ALL"}) {
		t.Errorf("security context %+v / %+v: want non-root 65532 (the image's nonroot user), read-only root, no privilege escalation, no capabilities", psc, sc)
	}
	dockerfile := readDockerfile(t)
	mounts := map[string]bool{}
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = true
	}
	if !mounts[dockerfile.env["DATA_DIR"]] {
		t.Errorf("the root is read-only and DATA_DIR %s has no volume", dockerfile.env["DATA_DIR"])
	}

	labels := pod.Metadata.Labels
	matches := func(sel map[string]string) bool {
		for k, v := range sel {
			if labels[k] != v {
				return false
			}
		}
		return len(sel) > 0
	}
	if !matches(k.deployment.Spec.Selector.MatchLabels) || !matches(k.service.Spec.Selector) || !matches(k.pdb.Spec.Selector.MatchLabels) {
		t.Errorf("the Deployment's, Service's or PodDisruptionBudget's selector does not match the pods' labels %v", labels)
	}
	if k.deployment.Spec.Replicas < 2 || k.pdb.Spec.MinAvailable < 1 || k.pdb.Spec.MinAvailable >= k.hpa.Spec.MinReplicas {
		t.Errorf("replicas %d, PodDisruptionBudget minAvailable %d, HPA minReplicas %d: want at least 2 replicas and one of them allowed to go",
			k.deployment.Spec.Replicas, k.pdb.Spec.MinAvailable, k.hpa.Spec.MinReplicas)
	}
	if ref := k.hpa.Spec.ScaleTargetRef; ref.Kind != "Deployment" || ref.Name != k.deployment.Metadata.Name {
		t.Errorf("the HPA scales %s %s, not the Deployment", ref.Kind, ref.Name)
	}
	// Each replica holds DB_MAX_CONNS connections and the event listener's
	// one; PostgreSQL allows 100 by default.
	if conns := k.hpa.Spec.MaxReplicas * (cfg.DBMaxConns + 1); conns >= 100 {
		t.Errorf("maxReplicas %d × (DB_MAX_CONNS %d + 1) = %d connections: PostgreSQL's default max_connections is 100", k.hpa.Spec.MaxReplicas, cfg.DBMaxConns, conns)
	}
	if len(k.service.Spec.Ports) != 1 || k.service.Spec.Ports[0].TargetPort != "http" {
		t.Errorf("Service ports %+v, want one with targetPort http", k.service.Spec.Ports)
	}
	checkIngress(t, k, cfg)
}

// checkIngress: the Ingress sends the public routes, and only them, to the
// Service, at PUBLIC_URL's host, with websocket timeouts.
func checkIngress(t *testing.T, k kubernetesBase, cfg config) {
	t.Helper()
	in := k.ingress
	for _, name := range []string{"proxy-read-timeout", "proxy-send-timeout"} {
		if n, _ := strconv.Atoi(in.Metadata.Annotations["nginx.ingress.kubernetes.io/"+name]); n < 3600 {
			t.Errorf("ingress annotation %s %q: want at least 3600 s, or idle websockets are cut", name, in.Metadata.Annotations["nginx.ingress.kubernetes.io/"+name])
		}
	}
	public, err := url.Parse(cfg.PublicURL)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Spec.Rules) != 1 || in.Spec.Rules[0].Host != public.Host {
		t.Fatalf("ingress rules %+v: want one, for PUBLIC_URL's host %s", in.Spec.Rules, public.Host)
	}
	got := map[string]string{}
	for _, p := range in.Spec.Rules[0].HTTP.Paths {
		got[p.Path] = p.PathType
		if b := p.Backend.Service; b.Name != k.service.Metadata.Name || b.Port.Name != k.service.Spec.Ports[0].Name {
			t.Errorf("ingress path %s goes to %s:%s, not the Service", p.Path, b.Name, b.Port.Name)
		}
	}
	want := map[string]string{"/query": "Exact", pos.OAuthCallbackPath: "Exact", strings.TrimSuffix(pos.WebhookPath, "/"): "Prefix"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ingress paths %v, want the public routes %v (health, readiness and metrics stay inside)", got, want)
	}
}

// dockerImage is what the test reads of the Dockerfile.
type dockerImage struct {
	env        map[string]string
	volumes    []string
	expose     []string
	entrypoint string
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readDockerfile(t *testing.T) dockerImage {
	t.Helper()
	d := dockerImage{env: map[string]string{}}
	final := false
	sc := bufio.NewScanner(strings.NewReader(readFile(t, "../Dockerfile")))
	for sc.Scan() {
		instr, rest, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		switch instr {
		case "FROM":
			final = !strings.Contains(rest, " AS ")
		case "ENV":
			for _, kv := range strings.Fields(rest) {
				k, v, _ := strings.Cut(kv, "=")
				d.env[k] = v
			}
		case "VOLUME":
			d.volumes = append(d.volumes, strings.Trim(rest, `[]" `))
		case "EXPOSE":
			d.expose = append(d.expose, rest)
		case "ENTRYPOINT":
			d.entrypoint = rest
		}
	}
	if !final {
		t.Fatal("Dockerfile: the last stage is not the final image")
	}
	return d
}

// TestDeployDockerfile: the image's DATA_DIR is a volume, its port is
// HTTP_ADDR's, and the build context leaves out local data, secrets,
// installed clients, the git history and test output.
func TestDeployDockerfile(t *testing.T) {
	t.Parallel()
	d := readDockerfile(t)
	cfg := checkSettings(t, "Dockerfile", map[string]string{"HTTP_ADDR": d.env["HTTP_ADDR"], "DATA_DIR": d.env["DATA_DIR"],
		"DATABASE_URL": secretPlaceholders["DATABASE_URL"], "LIGHTSPEED_CLIENT_ID": "app", "LIGHTSPEED_CLIENT_SECRET": "secret"})
	if !slices.Equal(d.volumes, []string{cfg.DataDir}) || !slices.Equal(d.expose, []string{strconv.Itoa(portOfAddr(t, cfg.HTTPAddr))}) || d.entrypoint != `["/server"]` {
		t.Errorf("Dockerfile: VOLUME %v, EXPOSE %v, ENTRYPOINT %s; want DATA_DIR %s, HTTP_ADDR's port and /server", d.volumes, d.expose, d.entrypoint, cfg.DataDir)
	}
	ignored := strings.Fields(readFile(t, "../.dockerignore"))
	for _, p := range []string{".git", "data", "server/data", "deploy/.env", "node_modules", "e2e/node_modules", "**/node_modules", "**/*.test", "**/*.out"} {
		if !slices.Contains(ignored, p) {
			t.Errorf(".dockerignore does not leave out %s", p)
		}
	}
}

type composeFile struct {
	Name     string                    `yaml:"name"`
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]*struct{}      `yaml:"volumes"`
}

type composeService struct {
	Image string `yaml:"image"`
	Build *struct {
		Context string            `yaml:"context"`
		Args    map[string]string `yaml:"args"`
	} `yaml:"build"`
	Restart string `yaml:"restart"`
	Deploy  *struct {
		Replicas int `yaml:"replicas"`
	} `yaml:"deploy"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	Ports       []string          `yaml:"ports"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck *struct {
		Test        []string `yaml:"test"`
		Interval    string   `yaml:"interval"`
		Timeout     string   `yaml:"timeout"`
		Retries     int      `yaml:"retries"`
		StartPeriod string   `yaml:"start_period"`
	} `yaml:"healthcheck"`
	StopGracePeriod string `yaml:"stop_grace_period"`
}

// readEnvFile reads KEY=VALUE lines, skipping comments and blank lines.
func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	vars := map[string]string{}
	for i, line := range strings.Split(readFile(t, path), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || !regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`).MatchString(k) {
			t.Fatalf("%s:%d: not KEY=VALUE: %q", path, i+1, line)
		}
		vars[k] = v
	}
	return vars
}

var composeVar = regexp.MustCompile(`\$\{([A-Z][A-Z0-9_]*)(?:(:-|:\?)([^}]*))?\}`)

// interpolate replaces ${VAR}, ${VAR:-default} and ${VAR:?message} as
// docker compose does, noting each variable used.
func interpolate(s string, vars map[string]string, used map[string]bool) (string, error) {
	var err error
	out := composeVar.ReplaceAllStringFunc(s, func(m string) string {
		g := composeVar.FindStringSubmatch(m)
		used[g[1]] = true
		v := vars[g[1]]
		switch {
		case v == "" && g[2] == ":-":
			return g[3]
		case v == "" && g[2] == ":?":
			err = fmt.Errorf("%s is required: %s", g[1], g[3])
		}
		return v
	})
	return out, err
}

// TestDeployCompose checks deploy/compose.yaml, its proxy's Caddyfile and
// .env.example against the program.
func TestDeployCompose(t *testing.T) {
	t.Parallel()
	var f composeFile
	decodeStrict(t, "../deploy/compose.yaml", &f)
	example := readEnvFile(t, "../deploy/.env.example")
	vars := map[string]string{}
	for k, v := range example {
		vars[k] = v
		if v == "" {
			vars[k] = secretPlaceholders[k]
		}
	}
	used := map[string]bool{}
	srv, ok := f.Services["server"]
	if !ok {
		t.Fatal(`compose.yaml has no service "server"`)
	}
	env := map[string]string{}
	for k, v := range srv.Environment {
		var err error
		if env[k], err = interpolate(v, vars, used); err != nil {
			t.Errorf("compose.yaml, server, %s: %v (.env.example lacks it)", k, err)
		}
	}
	cfg := checkSettings(t, "deploy/compose.yaml (service server)", env)
	for _, s := range f.Services {
		for _, v := range s.Environment {
			_, _ = interpolate(v, vars, used)
		}
		for _, p := range s.Ports {
			_, _ = interpolate(p, vars, used)
		}
		if s.Build != nil {
			for _, v := range s.Build.Args {
				_, _ = interpolate(v, vars, used)
			}
		}
	}
	for k := range example {
		if !used[k] {
			t.Errorf(".env.example sets %s, which compose.yaml does not use", k)
		}
	}
	for k := range used {
		if _, ok := example[k]; !ok {
			t.Errorf("compose.yaml uses ${%s}, which .env.example does not list", k)
		}
	}

	if srv.Deploy == nil || srv.Deploy.Replicas != 2 || srv.Build == nil || srv.Build.Context != ".." {
		t.Errorf("service server: want two replicas built from the repository's Dockerfile")
	}
	if hc := srv.Healthcheck; hc == nil || !slices.Equal(hc.Test, []string{"CMD", "/server", "healthcheck"}) {
		t.Errorf("service server: health check %+v, want the image's `/server healthcheck`", hc)
	} else if out, err := runCommand(t, nil, "healthcheck", "-h"); err != nil || !strings.HasPrefix(out, "usage: server healthcheck") {
		t.Errorf("server healthcheck -h: %v\n%s", err, out)
	}
	if grace, err := time.ParseDuration(srv.StopGracePeriod); err != nil || grace <= cfg.ShutdownTimeout {
		t.Errorf("service server: stop_grace_period %q is not longer than SHUTDOWN_TIMEOUT %s", srv.StopGracePeriod, cfg.ShutdownTimeout)
	}
	pg, ok := f.Services["postgres"]
	db, _ := url.Parse(cfg.DatabaseURL)
	if !ok || pg.Healthcheck == nil || srv.DependsOn["postgres"].Condition != "service_healthy" || db == nil || db.Hostname() != "postgres" {
		t.Errorf("want a postgres service with a health check, which server waits for and DATABASE_URL names")
	}
	proxy, ok := f.Services["proxy"]
	if !ok || !slices.Contains(proxy.Volumes, "./Caddyfile:/etc/caddy/Caddyfile:ro") || proxy.DependsOn["server"].Condition != "service_healthy" {
		t.Fatalf("want a proxy service running deploy/Caddyfile once server is healthy")
	}
	caddy := readFile(t, "../deploy/Caddyfile")
	upstream := fmt.Sprintf("dynamic a server %d", portOfAddr(t, cfg.HTTPAddr))
	if !strings.Contains(caddy, upstream) {
		t.Errorf("Caddyfile does not proxy to every replica of server on HTTP_ADDR's port (%q)", upstream)
	}
	if !strings.Contains(caddy, "request_buffers 1MiB") || !strings.Contains(caddy, "lb_try_duration") {
		t.Error("Caddyfile does not retry on another replica with the request body buffered (request_buffers 1MiB, lb_try_duration)")
	}
	if public, _ := url.Parse(cfg.PublicURL); len(proxy.Ports) != 1 {
		t.Errorf("proxy ports %v, want one", proxy.Ports)
	} else if p, _ := interpolate(proxy.Ports[0], vars, used); !strings.HasPrefix(p, public.Port()+":") {
		t.Errorf("the proxy listens on %s, PUBLIC_URL %s says port %s", p, cfg.PublicURL, public.Port())
	}
}
