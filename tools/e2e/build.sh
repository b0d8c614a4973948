#!/usr/bin/env bash
# Build the real programs the end-to-end suite needs from Go modules at the
# versions pinned in tools/e2e/versions.env, into a cache outside the
# repository keyed by version:
#
#   ${MLPLAT_E2E_CACHE:-$HOME/.cache/mlplat-e2e}/<program>-<version>/<program>
#
# A program already built at its version is not rebuilt (a cached run takes
# seconds). One line is printed per program. The first failing build stops the
# script with a non-zero exit and the tail of its log on stderr.
#
#   tools/e2e/build.sh              build what is missing
#   tools/e2e/build.sh --print-env  print KEY=path lines for the tests (no build)
#
# Needs: go (the installed go1.26 is enough for every pinned module; the
# toolchain is not switched: GOTOOLCHAIN=local) and the Go module proxy.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$HERE/versions.env"
GOWRAP="$HERE/go"
CACHE=${MLPLAT_E2E_CACHE:-$HOME/.cache/mlplat-e2e}
LOGDIR=${MLPLAT_E2E_LOGDIR:-${TMPDIR:-/tmp}/mlplat-e2e-logs}

PK_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
LANGHOST_MODULE=github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3

dir_pulumi="$CACHE/pulumi-$PULUMI_VERSION"
dir_pk="$CACHE/pulumi-resource-kubernetes-$PULUMI_KUBERNETES_PROVIDER_VERSION"
dir_etcd="$CACHE/etcd-$ETCD_VERSION"
dir_apiserver="$CACHE/kube-apiserver-$KUBERNETES_VERSION"
dir_scheduler="$CACHE/kube-scheduler-$KUBERNETES_VERSION"
dir_kcm="$CACHE/kube-controller-manager-$KUBERNETES_VERSION"
dir_kueue="$CACHE/kueue-$KUEUE_VERSION"
dir_cg="$CACHE/controller-gen-$CONTROLLER_TOOLS_VERSION"
dir_crds="$CACHE/kueue-crds-$KUEUE_VERSION-controller-gen-$CONTROLLER_TOOLS_VERSION"

print_env() {
	echo "MLPLAT_E2E_CACHE=$CACHE"
	echo "PULUMI=$dir_pulumi/pulumi"
	echo "PULUMI_RESOURCE_KUBERNETES=$dir_pk/pulumi-resource-kubernetes"
	echo "ETCD=$dir_etcd/etcd"
	echo "KUBE_APISERVER=$dir_apiserver/kube-apiserver"
	echo "KUBE_SCHEDULER=$dir_scheduler/kube-scheduler"
	echo "KUBE_CONTROLLER_MANAGER=$dir_kcm/kube-controller-manager"
	echo "KUEUE=$dir_kueue/kueue"
	echo "CONTROLLER_GEN=$dir_cg/controller-gen"
	echo "KUEUE_CRDS_DIR=$dir_crds"
	# Directories to put in front of PATH so the Pulumi engine finds the
	# kubernetes provider plugin (pulumi-resource-kubernetes) as an ambient plugin.
	echo "MLPLAT_E2E_PATH=$dir_pulumi:$dir_pk"
}

if [[ ${1:-} == --print-env ]]; then
	print_env
	exit 0
elif [[ $# -gt 0 ]]; then
	echo "usage: $0 [--print-env]" >&2
	exit 2
fi

command -v go >/dev/null || { echo "build.sh: go not found on PATH" >&2; exit 1; }
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly
mkdir -p "$CACHE" "$LOGDIR"

WORK=""
cleanup() { [[ -n $WORK && -d $WORK ]] && chmod -R u+w "$WORK" && rm -rf "$WORK"; return 0; }
trap cleanup EXIT

fail() { # program log message
	echo "$1: FAILED: $3 (log: $2)" >&2
	[[ -f $2 ]] && tail -n 40 "$2" >&2
	exit 1
}

# Refuse to build when a wrapper module resolves a module to another version
# than versions.env says (the pins live in one place).
check_pin() { # wrapper module want
	local got
	got=$(cd "$GOWRAP/$1" && go list -m -f '{{if .Replace}}{{.Replace.Version}}{{else}}{{.Version}}{{end}}' "$2" 2>&1) ||
		fail "$1" "-" "go list -m $2: $got"
	[[ $got == "$3" ]] || fail "$1" "-" "tools/e2e/go/$1/go.mod has $2 $got, versions.env says $3"
}

built() { [[ -f $1/.built ]]; }

# go_build program version outdir wrapper package [ldflags]
go_build() {
	local prog=$1 ver=$2 out=$3 wrap=$4 pkg=$5 ldflags=${6:-} log="$LOGDIR/$1-$2.log" t0 tmp
	if built "$out"; then
		echo "$prog $ver: cached ($out/$prog)"
		return 0
	fi
	t0=$SECONDS
	tmp=$(mktemp -d "$CACHE/.tmp-$prog.XXXXXX")
	if ! (cd "$wrap" && go build -trimpath -ldflags "-s -w $ldflags" -o "$tmp/$prog" "$pkg") >"$log" 2>&1; then
		rm -rf "$tmp"
		fail "$prog" "$log" "go build $pkg@$ver"
	fi
	chmod 755 "$tmp" && rm -rf "$out" && mv "$tmp" "$out" && touch "$out/.built"
	echo "$prog $ver: built in $((SECONDS - t0))s ($out/$prog)"
}

# --- Pulumi CLI ---------------------------------------------------------------
check_pin pulumi github.com/pulumi/pulumi/pkg/v3 "$PULUMI_VERSION"
check_pin pulumi github.com/pulumi/pulumi/sdk/v3 "$PULUMI_VERSION"
go_build pulumi "$PULUMI_VERSION" "$dir_pulumi" "$GOWRAP/pulumi" \
	github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
	"-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"

# --- Python language host -----------------------------------------------------
echo "pulumi-language-python $PULUMI_LANGUAGE_PYTHON_VERSION: unavailable ($LANGHOST_MODULE is refused by the Go module proxy at every version; not built)"

# --- Kubernetes provider ------------------------------------------------------
# The provider's main package embeds schema-embed.json and
# terraform-mapping-embed.json, which upstream's `make` generates (go run
# generate.go) and which the module as served does not contain. So the module is
# copied to a scratch directory inside the cache (never into the repository),
# its own generate.go is run there, and the wrapper builds against that copy.
check_pin pulumi-kubernetes "$PK_MODULE" "$PULUMI_KUBERNETES_PROVIDER_VERSION"
check_pin pulumi-kubernetes github.com/pulumi/pulumi-kubernetes/sdk/v4 "$PULUMI_KUBERNETES_SDK_VERSION"
if built "$dir_pk"; then
	echo "pulumi-resource-kubernetes $PULUMI_KUBERNETES_RELEASE: cached ($dir_pk/pulumi-resource-kubernetes)"
else
	log="$LOGDIR/pulumi-resource-kubernetes-$PULUMI_KUBERNETES_PROVIDER_VERSION.log"
	: >"$log"
	WORK=$(mktemp -d "$CACHE/.work-pulumi-kubernetes.XXXXXX")
	{
		moddir=$(cd "$GOWRAP/pulumi-kubernetes" && go mod download "$PK_MODULE" >&2 && go list -m -f '{{.Dir}}' "$PK_MODULE") &&
			cp -r "$moddir" "$WORK/provider" && chmod -R u+w "$WORK/provider" &&
			(cd "$WORK/provider" &&
				go mod edit -replace "github.com/pulumi/pulumi-kubernetes/sdk/v4=github.com/pulumi/pulumi-kubernetes/sdk/v4@$PULUMI_KUBERNETES_SDK_VERSION" &&
				cd cmd/pulumi-resource-kubernetes &&
				VERSION=$PULUMI_KUBERNETES_RELEASE GOFLAGS=-mod=mod go run generate.go) &&
			mkdir "$WORK/wrapper" && cp "$GOWRAP/pulumi-kubernetes/"{go.mod,go.sum,tools.go} "$WORK/wrapper/" &&
			(cd "$WORK/wrapper" && go mod edit -replace "$PK_MODULE=../provider")
	} >>"$log" 2>&1 || fail pulumi-resource-kubernetes "$log" "preparing $PK_MODULE@$PULUMI_KUBERNETES_PROVIDER_VERSION (generate.go)"
	go_build pulumi-resource-kubernetes "$PULUMI_KUBERNETES_RELEASE" "$dir_pk" "$WORK/wrapper" \
		"$PK_MODULE/cmd/pulumi-resource-kubernetes" \
		"-X $PK_MODULE/pkg/version.Version=$PULUMI_KUBERNETES_RELEASE"
	cleanup
	WORK=""
fi

# --- etcd ---------------------------------------------------------------------
check_pin etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION"
go_build etcd "$ETCD_VERSION" "$dir_etcd" "$GOWRAP/etcd" go.etcd.io/etcd/server/v3

# --- kube-apiserver, kube-scheduler, kube-controller-manager ----------------
check_pin kubernetes k8s.io/kubernetes "$KUBERNETES_VERSION"
for m in k8s.io/api k8s.io/apimachinery k8s.io/apiserver k8s.io/client-go k8s.io/component-base; do
	check_pin kubernetes "$m" "$KUBERNETES_STAGING_VERSION"
done
k8s_minor=${KUBERNETES_VERSION#v1.}
k8s_minor=${k8s_minor%%.*}
k8s_ldflags=""
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	k8s_ldflags+=" -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$k8s_minor -X $p.gitTreeState=clean"
done
go_build kube-apiserver "$KUBERNETES_VERSION" "$dir_apiserver" "$GOWRAP/kubernetes" \
	k8s.io/kubernetes/cmd/kube-apiserver "$k8s_ldflags"
go_build kube-scheduler "$KUBERNETES_VERSION" "$dir_scheduler" "$GOWRAP/kubernetes" \
	k8s.io/kubernetes/cmd/kube-scheduler "$k8s_ldflags"
# The Job, namespace and quota controllers the e2e job path needs (tests/e2e/cluster.py).
go_build kube-controller-manager "$KUBERNETES_VERSION" "$dir_kcm" "$GOWRAP/kubernetes" \
	k8s.io/kubernetes/cmd/kube-controller-manager "$k8s_ldflags"

# --- Kueue controller manager -------------------------------------------------
check_pin kueue sigs.k8s.io/kueue "$KUEUE_VERSION"
go_build kueue "$KUEUE_VERSION" "$dir_kueue" "$GOWRAP/kueue" sigs.k8s.io/kueue/cmd/kueue \
	"-X sigs.k8s.io/kueue/pkg/version.GitVersion=$KUEUE_VERSION"

# --- controller-gen and Kueue's CRDs ------------------------------------------
check_pin controller-gen sigs.k8s.io/controller-tools "$CONTROLLER_TOOLS_VERSION"
go_build controller-gen "$CONTROLLER_TOOLS_VERSION" "$dir_cg" "$GOWRAP/controller-gen" \
	sigs.k8s.io/controller-tools/cmd/controller-gen \
	"-X sigs.k8s.io/controller-tools/pkg/version.version=$CONTROLLER_TOOLS_VERSION"

if built "$dir_crds"; then
	echo "kueue-crds $KUEUE_VERSION: cached ($dir_crds)"
else
	t0=$SECONDS
	log="$LOGDIR/kueue-crds-$KUEUE_VERSION.log"
	tmp=$(mktemp -d "$CACHE/.tmp-kueue-crds.XXXXXX")
	# Same generator arguments as Kueue's own `make manifests`, run on the
	# module as downloaded (read-only); output goes to the cache.
	{
		kdir=$(cd "$GOWRAP/kueue" && go mod download sigs.k8s.io/kueue >&2 && go list -m -f '{{.Dir}}' sigs.k8s.io/kueue) &&
			(cd "$kdir" && "$dir_cg/controller-gen" crd:generateEmbeddedObjectMeta=true \
				"output:crd:artifacts:config=$tmp" paths=./apis/...)
	} >"$log" 2>&1 || { rm -rf "$tmp"; fail kueue-crds "$log" "controller-gen crd on sigs.k8s.io/kueue@$KUEUE_VERSION/apis"; }
	n=$(find "$tmp" -name '*.yaml' | wc -l)
	[[ $n -gt 0 ]] || { rm -rf "$tmp"; fail kueue-crds "$log" "controller-gen wrote no CRD"; }
	chmod 755 "$tmp" && rm -rf "$dir_crds" && mv "$tmp" "$dir_crds" && touch "$dir_crds/.built"
	echo "kueue-crds $KUEUE_VERSION: generated $n CRDs in $((SECONDS - t0))s ($dir_crds)"
fi
