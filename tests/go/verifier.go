// verifier.go — checks dangan's signed checkpoints and proofs with code nobody on the
// dangan team wrote: Go's golang.org/x/mod/sumdb/note (C2SP signed notes, Ed25519) and
// golang.org/x/mod/sumdb/tlog (RFC 6962 tree hashes, inclusion and consistency proofs),
// from Debian's golang-golang-x-mod-dev. Used by tests/e2e/test_log_tree.sh:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o verifier tests/go/verifier.go
//
//	verifier open VKEY[,VKEY...] NOTE          every key must have signed NOTE; prints its text
//	verifier consistency VKEY OLD VERIFY.json  OLD (a checkpoint) extends to the signed
//	                                           checkpoint_now of `dangan --json log verify
//	                                           --checkpoint OLD --log-key K` by proof_to_now,
//	                                           or (no key given) to the tree it reports
//	                                           (size, root) by its proof
//	verifier inclusion VKEY NOTE PROVE.json     the entry of `dangan --json log prove` is in
//	                                           NOTE's tree; its leaf hash is computed here
//	verifier cosigned VKEY AKEY NOTE           VKEY signed NOTE, and AKEY's Ed25519 key
//	                                           cosigned it as a C2SP tlog-cosignature
//	                                           (cosignature/v1), checked here with Go's
//	                                           crypto/ed25519 from the C2SP text; prints
//	                                           the cosignature's time (Unix seconds)
//	verifier row PROVE.json ROW.json           the entry's proven bytes (leaf_data of `dangan
//	                                           --json log prove`), decoded here by the
//	                                           README's canonical rules, are exactly the row
//	                                           ROW.json holds (`sqlite3 -json` of the row's
//	                                           columns and, as <column>_type, their typeof()):
//	                                           each column of the type dangan stores, each
//	                                           value the decoded one
//
// Exit status: 0 verified, 1 not verified (the reason on stderr), 2 usage or I/O error.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(code int, format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "verifier: "+format+"\n", args...)
	os.Exit(code)
}

func readFile(path string) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		fail(2, "%v", err)
	}
	return data
}

// open verifies that every key in vkeys signed msg and returns the note.
func open(vkeys []string, msg []byte) *note.Note {
	var verifiers []note.Verifier
	for _, k := range vkeys {
		v, err := note.NewVerifier(k)
		if err != nil {
			fail(2, "key %q: %v", k, err)
		}
		verifiers = append(verifiers, v)
	}
	n, err := note.Open(msg, note.VerifierList(verifiers...))
	if err != nil {
		fail(1, "note.Open: %v", err)
	}
	for _, v := range verifiers {
		found := false
		for _, s := range n.Sigs {
			if s.Name == v.Name() && s.Hash == v.KeyHash() {
				found = true
			}
		}
		if !found {
			fail(1, "no valid signature of %s", v.Name())
		}
	}
	return n
}

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

// parseCheckpoint reads a C2SP tlog-checkpoint body: origin, size, base64 root.
func parseCheckpoint(text string) checkpoint {
	lines := strings.Split(text, "\n")
	if len(lines) < 4 {
		fail(1, "not a checkpoint: %q", text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		fail(1, "bad tree size %q", lines[1])
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		fail(1, "bad root hash %q", lines[2])
	}
	return checkpoint{lines[0], size, root}
}

func decodeHashes(list []string) []tlog.Hash {
	var out []tlog.Hash
	for _, s := range list {
		h, err := tlog.ParseHash(s)
		if err != nil {
			fail(1, "bad proof hash %q", s)
		}
		out = append(out, h)
	}
	return out
}

// cosigned checks the cosignature/v1 line of the Ed25519 verifier key akey (the form Go's
// note package writes: name+id+base64(0x01 || key)) on the note n, as C2SP
// tlog-cosignature defines it: the key id is SHA-256(name || "\n" || 0x04 || key)[:4];
// the signature is id || 8-byte big-endian time || Ed25519 over
// "cosignature/v1\ntime <time>\n" || the note's text. Returns the time.
func cosigned(akey string, n *note.Note) uint64 {
	parts := strings.SplitN(akey, "+", 3)
	if len(parts) != 3 {
		fail(2, "key %q: want NAME+ID+KEY", akey)
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 33 || raw[0] != 0x01 {
		fail(2, "key %q: not an Ed25519 key", akey)
	}
	name, pub := parts[0], raw[1:]
	h := sha256.Sum256(append(append([]byte(name), '\n', 0x04), pub...))
	for _, sig := range n.UnverifiedSigs {
		if sig.Name != name || sig.Hash != binary.BigEndian.Uint32(h[:4]) {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(sig.Base64)
		if err != nil || len(b) != 4+8+ed25519.SignatureSize {
			fail(1, "cosignature of %s: not id || time || signature", name)
		}
		when := binary.BigEndian.Uint64(b[4:12])
		msg := fmt.Sprintf("cosignature/v1\ntime %d\n%s", when, n.Text)
		if !ed25519.Verify(ed25519.PublicKey(pub), []byte(msg), b[12:]) {
			fail(1, "cosignature of %s does not verify", name)
		}
		return when
	}
	fail(1, "no cosignature/v1 of %s", name)
	return 0
}

// The columns of an entry in the order its bytes hold them, whether each is a number, and
// whether the writer may store NULL in it (README, "The log's canonical form").
var entryColumns = []struct {
	name     string
	number   bool
	nullable bool
}{
	{"id", true, false}, {"at", false, false}, {"user_id", true, false},
	{"login", false, false}, {"origin", false, false}, {"action", false, false},
	{"refcode", false, true}, {"version", true, false}, {"query", false, true},
	{"hits", true, false}, {"outcome", false, false}, {"detail", false, true},
	{"shown", false, true},
}

var canonicalNumber = regexp.MustCompile(`^(0|-?[1-9][0-9]*)$`)
var canonicalShown = regexp.MustCompile(`^[^,@]+@(0|[1-9][0-9]*)(,[^,@]+@(0|[1-9][0-9]*))*$`)

// decodeEntry reads an entry's bytes by the canonical rules: every field ended by 0x1F,
// 12 fields or 13 (shown, only when present), numbers in canonical decimal within the
// writer's ranges, a text that is exactly 0x1E NULL, no other text holding 0x00 or 0x1E.
// Returns each field as an int64, a string or nil.
func decodeEntry(data []byte) []interface{} {
	if len(data) == 0 || data[len(data)-1] != 0x1f {
		fail(1, "the entry's bytes do not end with 0x1F")
	}
	parts := bytes.Split(data[:len(data)-1], []byte{0x1f})
	if len(parts) != 12 && len(parts) != 13 {
		fail(1, "the entry's bytes hold %d fields, not 12 or 13", len(parts))
	}
	out := make([]interface{}, 13)
	for i, p := range parts {
		col := entryColumns[i]
		if col.number {
			if !canonicalNumber.Match(p) {
				fail(1, "%s %q is not a number in canonical decimal", col.name, p)
			}
			v, err := strconv.ParseInt(string(p), 10, 64)
			if err != nil {
				fail(1, "%s %q: %v", col.name, p, err)
			}
			out[i] = v
			continue
		}
		if bytes.Equal(p, []byte{0x1e}) {
			if !col.nullable {
				fail(1, "%s is NULL, which dangan never stores", col.name)
			}
			continue
		}
		if bytes.IndexByte(p, 0x1e) >= 0 || bytes.IndexByte(p, 0) >= 0 {
			fail(1, "%s holds 0x1E or 0x00", col.name)
		}
		out[i] = string(p)
	}
	version, hits, user := out[7].(int64), out[9].(int64), out[2].(int64)
	if version < 0 || version > math.MaxInt32 || hits < -1 || user < 0 {
		fail(1, "version %d, hits %d or user_id %d is outside what dangan writes", version, hits, user)
	}
	if len(parts) == 13 && (out[12] == nil || !canonicalShown.MatchString(out[12].(string))) {
		fail(1, "shown %q is not a list REF@V,REF@V", out[12])
	}
	return out
}

// checkRow compares a row of access_log (sqlite3 -json, with <column>_type) with the
// decoded entry: each column of the type dangan stores and of the decoded value.
func checkRow(decoded []interface{}, row map[string]interface{}) {
	for i, col := range entryColumns {
		typ, _ := row[col.name+"_type"].(string)
		want := decoded[i]
		switch {
		case want == nil && typ != "null":
			fail(1, "the row's %s is %s; its proven bytes say NULL", col.name, typ)
		case want == nil:
			continue
		case col.number && typ != "integer", !col.number && typ != "text":
			fail(1, "the row's %s is %s, where dangan stores %s", col.name, typ,
				map[bool]string{true: "integer", false: "text"}[col.number])
		}
		if col.number {
			n, ok := row[col.name].(json.Number)
			v, err := n.Int64()
			if !ok || err != nil || v != want.(int64) {
				fail(1, "the row's %s is %v; its proven bytes say %d", col.name, row[col.name], want)
			}
		} else if s, ok := row[col.name].(string); !ok || s != want.(string) {
			fail(1, "the row's %s is %q; its proven bytes say %q", col.name, row[col.name], want)
		}
	}
}

func main() {
	if len(os.Args) < 4 {
		fail(2, "usage: verifier open|consistency|inclusion VKEY FILE [JSON]")
	}
	vkeys := strings.Split(os.Args[2], ",")
	switch os.Args[1] {
	case "open":
		n := open(vkeys, readFile(os.Args[3]))
		fmt.Print(n.Text)
	case "cosigned":
		if len(os.Args) < 5 {
			fail(2, "usage: verifier cosigned VKEY AKEY NOTE")
		}
		n := open(vkeys, readFile(os.Args[4]))
		fmt.Println(cosigned(os.Args[3], n))
	case "consistency":
		if len(os.Args) < 5 {
			fail(2, "usage: verifier consistency VKEY OLD VERIFY.json")
		}
		old := parseCheckpoint(open(vkeys, readFile(os.Args[3])).Text)
		var out struct {
			ProofToNow []string `json:"proof_to_now"`
			Now        string   `json:"checkpoint_now"`
			Proof      []string `json:"proof"`
			Size       int64    `json:"size"`
			Root       string   `json:"root"`
		}
		if err := json.Unmarshal(readFile(os.Args[4]), &out); err != nil {
			fail(2, "%s: %v", os.Args[4], err)
		}
		// A signed new head when dangan made one; otherwise the tree dangan reports today
		// (unsigned, but no proof can connect a rewritten tree to the signed old root).
		var now checkpoint
		proof := out.ProofToNow
		if out.Now != "" {
			now = parseCheckpoint(open(vkeys, []byte(out.Now)).Text)
		} else {
			root, err := tlog.ParseHash(out.Root)
			if err != nil {
				fail(1, "bad root %q", out.Root)
			}
			now = checkpoint{old.origin, out.Size, root}
			proof = out.Proof
		}
		if now.origin != old.origin {
			fail(1, "checkpoints of different logs: %q, %q", old.origin, now.origin)
		}
		if now.size < old.size {
			fail(1, "the new tree (%d) is smaller than the old (%d)", now.size, old.size)
		}
		if err := tlog.CheckTree(decodeHashes(proof), now.size, now.root, old.size, old.root); err != nil {
			fail(1, "tlog.CheckTree %d -> %d: %v", old.size, now.size, err)
		}
		fmt.Printf("consistent: %d -> %d\n", old.size, now.size)
	case "inclusion":
		if len(os.Args) < 5 {
			fail(2, "usage: verifier inclusion VKEY NOTE PROVE.json")
		}
		cp := parseCheckpoint(open(vkeys, readFile(os.Args[3])).Text)
		var out struct {
			Index int64    `json:"index"`
			Leaf  string   `json:"leaf_data"`
			Proof []string `json:"proof"`
		}
		if err := json.Unmarshal(readFile(os.Args[4]), &out); err != nil {
			fail(2, "%s: %v", os.Args[4], err)
		}
		data, err := base64.StdEncoding.DecodeString(out.Leaf)
		if err != nil {
			fail(1, "bad leaf data: %v", err)
		}
		if err := tlog.CheckRecord(decodeHashes(out.Proof), cp.size, cp.root, out.Index, tlog.RecordHash(data)); err != nil {
			fail(1, "tlog.CheckRecord %d in %d: %v", out.Index, cp.size, err)
		}
		fmt.Printf("included: entry %d in %d\n", out.Index+1, cp.size)
	case "row":
		var proved struct {
			Leaf string `json:"leaf_data"`
		}
		if err := json.Unmarshal(readFile(os.Args[2]), &proved); err != nil {
			fail(2, "%s: %v", os.Args[2], err)
		}
		data, err := base64.StdEncoding.DecodeString(proved.Leaf)
		if err != nil {
			fail(1, "bad leaf data: %v", err)
		}
		var rows []map[string]interface{}
		dec := json.NewDecoder(bytes.NewReader(readFile(os.Args[3])))
		dec.UseNumber()
		if err := dec.Decode(&rows); err != nil || len(rows) != 1 {
			fail(2, "%s: want one row (%v)", os.Args[3], err)
		}
		decoded := decodeEntry(data)
		checkRow(decoded, rows[0])
		fmt.Printf("the row is its bytes: entry %d\n", decoded[0].(int64))
	default:
		fail(2, "unknown mode %q", os.Args[1])
	}
}
