package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/nhs-passkeys/companion/app/kiosk"
	"github.com/nhs-passkeys/companion/backend/httpapi"
	"github.com/nhs-passkeys/companion/backend/session"
	"github.com/nhs-passkeys/companion/backend/store"
)

const usage = `NHS passkeys companion: set up, use and remove passkeys for your NHS login.

Usage:
  nhs-passkeys [flags]          open the desktop app
  nhs-passkeys serve [flags]    serve the same app to web browsers on this computer
  nhs-passkeys kiosk-secret     read an administrator secret from standard input and print
                                the line for the settings file (kiosk mode)

Flags:
`

// minIdleTimeout is the shortest idle timeout that leaves room for a 20-second warning.
const minIdleTimeout = 40 * time.Second

// options are the command line's.
type options struct {
	serve          bool // the `serve` sub-command
	dataDir        string
	origin         string
	addr           string
	virtualKeyFile string
	idleTimeout    time.Duration
	idleSet        bool // --idle-timeout was given (kiosk mode has its own default)
	kiosk          bool // --kiosk, or (kioskSettings) the settings file's "kiosk": true
	settingsFile   string
	database       string                 // serve only: --database (see databaseAddress)
	trustedProxies httpapi.TrustedProxies // serve only: --trusted-proxy
	relyingParty   string                 // desktop only: --relying-party, or the settings file's (relyingPartySettings)
	relyingPartyCA string                 // desktop only: --relying-party-ca, or the settings file's
	rpFlagSet      bool                   // --relying-party or --relying-party-ca was given
}

// parseArgs reads the command line (args[0] is the program's name). --help prints the usage
// and gives flag.ErrHelp; a bad flag or value prints it too and gives the reason.
func parseArgs(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	opts := options{serve: len(args) > 1 && args[1] == "serve"}
	name := "nhs-passkeys"
	rest := args[1:]
	if opts.serve {
		name += " serve"
		rest = args[2:]
	}

	fset := flag.NewFlagSet(name, flag.ContinueOnError)
	fset.SetOutput(stderr)
	fset.StringVar(&opts.dataDir, "data-dir", "", "folder for the account database (default: the OS config folder, e.g. ~/.config/nhs-passkeys)")
	fset.StringVar(&opts.origin, "origin", "", "origin of the relying party, e.g. https://passkeys.example.org; its host name is the RP ID (default: http://localhost and the --addr port)")
	fset.StringVar(&opts.addr, "addr", "127.0.0.1:8080", "serve only: address to listen on")
	fset.StringVar(&opts.database, "database", "", "serve only: the PostgreSQL database that the replicas of a fleet share, e.g. postgres://passkeys@db.example/passkeys (default: the SQLite file in --data-dir). No password here (anyone can see it with `ps`): put the whole address in "+databaseEnv+" instead, or the password in ~/.pgpass")
	fset.Func("trusted-proxy", "serve only: a reverse proxy's own address, e.g. 10.0.0.5 (or a network, e.g. 10.0.0.0/28, only if every address in it is one of your proxies; repeat the flag or separate them with commas), whose X-Forwarded-For client address is believed for lockouts and the activity list; without it, forwarded addresses are ignored", func(v string) error {
		for _, part := range strings.Split(v, ",") {
			p, err := httpapi.ParseTrustedProxy(part)
			if err != nil {
				return err
			}
			opts.trustedProxies = append(opts.trustedProxies, p)
		}
		return nil
	})
	fset.StringVar(&opts.virtualKeyFile, "virtual-key", "", "desktop app only: turn on the virtual security key for testing, keeping its state in `FILE`")
	fset.DurationVar(&opts.idleTimeout, "idle-timeout", session.DefaultIdleTimeout, "sign a person out after this long with nothing done (they are warned first), e.g. 10m (kiosk mode: 5m)")
	fset.BoolVar(&opts.kiosk, "kiosk", false, "desktop app only, on Linux and Windows: kiosk mode for a computer patients share (full screen, nothing kept after each person, only security keys or phones); needs an administrator secret in the settings file")
	fset.StringVar(&opts.relyingParty, "relying-party", "", "desktop app only: use the relying party of a fleet at this address, e.g. https://passkeys.example.org, instead of the app's own: nothing about a patient is then stored on this computer (README, Fleets)")
	fset.StringVar(&opts.relyingPartyCA, "relying-party-ca", "", "desktop app only, with --relying-party: a PEM `FILE` of certificate authorities trusted for its TLS certificate besides the system's")
	fset.StringVar(&opts.settingsFile, "settings", "", "the administrator's settings `FILE` (default: "+kiosk.DefaultPath(getenv)+")")
	fset.Usage = func() {
		fmt.Fprint(stderr, usage)
		fset.PrintDefaults()
	}
	if err := fset.Parse(rest); err != nil {
		return opts, err
	}
	if fset.NArg() > 0 {
		fset.Usage()
		return opts, fmt.Errorf("unknown argument %q", fset.Arg(0))
	}
	fset.Visit(func(f *flag.Flag) {
		opts.idleSet = opts.idleSet || f.Name == "idle-timeout"
		opts.rpFlagSet = opts.rpFlagSet || f.Name == "relying-party" || f.Name == "relying-party-ca"
	})

	// The warning comes 2 minutes before the end, a shorter timeout's halfway, and never less
	// than 20 seconds before it (WCAG 2.2.1 gives a person at least 20 seconds to ask for more
	// time): under 40 seconds there is no room for that.
	if opts.idleTimeout < minIdleTimeout {
		return opts, fmt.Errorf("--idle-timeout %v is too short: give at least %v", opts.idleTimeout, minIdleTimeout)
	}
	if !opts.serve && len(opts.trustedProxies) > 0 {
		return opts, errors.New("--trusted-proxy works only with `serve`: the desktop app has no proxy in front of it")
	}
	if err := checkRelyingPartyFlags(opts); err != nil {
		return opts, err
	}
	if opts.serve && opts.virtualKeyFile != "" {
		return opts, errors.New("--virtual-key works only in the desktop app: in a web browser, use the browser's own passkeys")
	}
	return opts, nil
}

// databaseEnv names the environment variable that may hold `serve`'s PostgreSQL address,
// password and all: unlike a flag, the environment of a process is not shown to other users
// by `ps`.
const databaseEnv = "NHS_PASSKEYS_DATABASE_URL"

// databaseAddress is the PostgreSQL address `serve` uses: --database, else databaseEnv, else
// "" (the SQLite file in the data folder). A password in --database is refused, and the
// refusal never repeats the address.
func databaseAddress(flagValue string, getenv func(string) string, serve bool) (string, error) {
	value, from := flagValue, "--database"
	if value == "" {
		value, from = getenv(databaseEnv), databaseEnv
	}
	if value == "" {
		return "", nil
	}
	if !serve {
		return "", fmt.Errorf("%s works only with `serve`: the desktop app keeps its own database", from)
	}
	if !store.IsPostgresURL(value) {
		return "", fmt.Errorf("%s must be a PostgreSQL address beginning postgres:// (for example postgres://passkeys@db.example/passkeys)", from)
	}
	if from == "--database" {
		u, err := url.Parse(value)
		if err != nil {
			return "", errors.New("--database could not be read: write it as postgres://user@host:port/database")
		}
		// sslpassword is the passphrase of the client's TLS key: as secret as the password.
		if q := u.Query(); hasPassword(u) || q.Has("password") || q.Has("sslpassword") {
			return "", fmt.Errorf("--database must not hold a password, which anyone on this computer could read with `ps`: put the whole address in %s instead, or the password in ~/.pgpass", databaseEnv)
		}
	}
	return value, nil
}

func hasPassword(u *url.URL) bool {
	if u == nil || u.User == nil {
		return false
	}
	_, set := u.User.Password()
	return set
}
