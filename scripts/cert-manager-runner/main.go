// Test-only runner of the real cert-manager controller, for sdb-tls-guard's e2e tier.
//
// cert-manager's own main (cmd/controller) is a separate module the Go module proxy does
// not serve, so this program links the controller packages of the published
// github.com/cert-manager/cert-manager module and starts the ones the tests need: the
// certificates controllers (trigger, key manager, request manager, issuing, readiness,
// revision manager), the CertificateRequest approver, the CA and SelfSigned
// CertificateRequest issuers, and the Issuer and ClusterIssuer controllers.
// Each package registers its constructor with controller.Register from init(); this file
// builds the shared context, constructs the wanted controllers, starts the informer
// factories and runs every controller until SIGTERM/SIGINT.
// scripts/build-control-plane.sh copies it into a throw-away module outside the
// repository and builds it there; it is not part of the product.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"sync"
	"syscall"
	"time"

	controller "github.com/cert-manager/cert-manager/pkg/controller"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/selfsigned"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	_ "github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	_ "github.com/cert-manager/cert-manager/pkg/controller/issuers"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
)

var wanted = []string{
	"issuers", "clusterissuers",
	"certificates-trigger", "certificates-key-manager", "certificates-request-manager",
	"certificates-issuing", "certificates-readiness", "certificates-revision-manager",
	"certificaterequests-approver", "certificaterequests-issuer-ca", "certificaterequests-issuer-selfsigned",
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the API server")
	clusterNS := flag.String("cluster-resource-namespace", "cert-manager", "namespace of ClusterIssuer Secrets")
	workers := flag.Int("workers", 2, "workers per controller")
	version := flag.Bool("version", false, "print the linked cert-manager module version and exit")
	flag.Parse()
	if *version {
		fmt.Println(linkedVersion())
		return
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	opts := controller.ContextOptions{Kubeconfig: *kubeconfig, KubernetesAPIQPS: 50, KubernetesAPIBurst: 100}
	opts.ClusterResourceNamespace = *clusterNS
	opts.CertificateRequestMinimumBackoffDuration = time.Hour
	opts.CertificateRequestMaximumBackoffDuration = 32 * time.Hour
	factory, err := controller.NewContextFactory(ctx, opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "cert-manager-runner: %v\n", err)
		os.Exit(1)
	}

	known := controller.Known()
	var run []controller.Interface
	var names []string
	for _, name := range wanted {
		construct, ok := known[name]
		if !ok {
			have := make([]string, 0, len(known))
			for k := range known {
				have = append(have, k)
			}
			sort.Strings(have)
			fmt.Fprintf(os.Stderr, "cert-manager-runner: controller %q is not registered (have %v)\n", name, have)
			os.Exit(1)
		}
		c, err := construct(factory)
		if err != nil {
			fmt.Fprintf(os.Stderr, "cert-manager-runner: constructing %s: %v\n", name, err)
			os.Exit(1)
		}
		run = append(run, c)
		names = append(names, name)
	}

	// The informers every constructor asked for are registered now; start them.
	shared, err := factory.Build()
	if err != nil {
		fmt.Fprintf(os.Stderr, "cert-manager-runner: %v\n", err)
		os.Exit(1)
	}
	shared.SharedInformerFactory.Start(ctx.Done())
	shared.KubeSharedInformerFactory.Start(ctx.Done())

	var wg sync.WaitGroup
	for i, c := range run {
		wg.Add(1)
		go func(name string, c controller.Interface) {
			defer wg.Done()
			if err := c.Run(*workers, ctx); err != nil {
				fmt.Fprintf(os.Stderr, "cert-manager-runner: %s stopped: %v\n", name, err)
			}
		}(names[i], c)
	}
	fmt.Fprintf(os.Stderr, "cert-manager-runner: running %v\n", names)
	<-ctx.Done()
	wg.Wait()
}

// linkedVersion is the version of the cert-manager module this binary was built from.
func linkedVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, d := range bi.Deps {
		if d.Path == "github.com/cert-manager/cert-manager" {
			return "cert-manager " + d.Version
		}
	}
	return "unknown"
}
