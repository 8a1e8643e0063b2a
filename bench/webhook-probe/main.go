// Probe: calls a webhook like kube-apiserver's webhook client does (client-go transport:
// HTTP/2 offered through ALPN, TLS 1.2+, keep-alive; a request body that is not an
// in-memory reader, so net/http flushes the headers before the body: two TLS records,
// as the capture of the real API server shows). Source only, not built by any script:
//
//	cd bench/webhook-probe && go build -o /tmp/probe . &&
//	/tmp/probe -url https://127.0.0.1:PORT -ca CA.pem -body REVIEW.json -n 1500 -gap 1ms
//
// It alternates /mutate and /validate (with ?timeout=5s, as the API server calls them) and
// prints each one's median/mean/p90 round trip; -gap pauses before each call (the API
// server's calls come milliseconds apart), -inmem sends the request in one record.
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"time"
)

type opaque struct{ r io.Reader }

func (o *opaque) Read(p []byte) (int, error) { return o.r.Read(p) }

func main() {
	url := flag.String("url", "", "base url")
	ca := flag.String("ca", "", "ca file")
	body := flag.String("body", "", "review json")
	n := flag.Int("n", 2000, "calls")
	h2 := flag.Bool("h2", true, "offer h2")
	gap := flag.Duration("gap", 0, "pause before each call")
	inmem := flag.Bool("inmem", false, "in-memory body (one record)")
	flag.Parse()
	caPem, _ := os.ReadFile(*ca)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPem)
	b, _ := os.ReadFile(*body)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, MaxIdleConnsPerHost: 25, IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second}
	tr.ForceAttemptHTTP2 = *h2
	c := &http.Client{Transport: tr}
	lat := map[string][]float64{}
	proto := ""
	for i := 0; i < *n; i++ {
		for _, p := range []string{"/mutate", "/validate"} {
			var rd io.Reader = bytes.NewReader(b)
			if !*inmem {
				rd = &opaque{bytes.NewReader(b)}
			}
			req, _ := http.NewRequest("POST", *url+p+"?timeout=5s", rd)
			req.ContentLength = int64(len(b))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, */*")
			if *gap > 0 {
				time.Sleep(*gap)
			}
			t0 := time.Now()
			res, err := c.Do(req)
			if err != nil {
				panic(err)
			}
			io.ReadAll(res.Body)
			res.Body.Close()
			d := time.Since(t0).Seconds() * 1e6
			proto = res.Proto
			if i >= 50 {
				lat[p] = append(lat[p], d)
			}
		}
	}
	for _, p := range []string{"/mutate", "/validate"} {
		s := lat[p]
		sort.Float64s(s)
		sum := 0.0
		for _, x := range s {
			sum += x
		}
		fmt.Printf("%s %s n=%d median %.0fus mean %.0fus p90 %.0fus\n", proto, p, len(s), s[len(s)/2], sum/float64(len(s)), s[len(s)*9/10])
	}
}
