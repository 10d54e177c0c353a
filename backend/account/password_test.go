package account

import (
	"strings"
	"testing"
)

func cheap() HashParams { return HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32} }

func TestDefaultHashIsArgon2idWithItsParametersInPHCForm(t *testing.T) {
	hash, err := DefaultHashParams().Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash = %q, want the OWASP parameters m=19456,t=2,p=1 in PHC form", hash)
	}
	if ok, err := VerifyPassword("correct horse battery", hash); err != nil || !ok {
		t.Errorf("the right password does not verify: %v %v", ok, err)
	}
}

func TestPasswordVerification(t *testing.T) {
	hash, err := cheap().Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	again, err := cheap().Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if hash == again {
		t.Errorf("two hashes of one password are equal: the salt is not random")
	}
	stronger, err := HashParams{Memory: 128, Time: 2, Threads: 2, SaltLen: 24, KeyLen: 48}.Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		password string
		hash     string
		want     bool
		wantErr  bool
	}{
		{"the right password matches", "correct horse battery", hash, true, false},
		{"a wrong password does not match", "correct horse batterz", hash, false, false},
		{"an empty password does not match", "", hash, false, false},
		{"a hash made with other parameters is checked with its own", "correct horse battery", stronger, true, false},
		{"an empty hash is an error", "x", "", false, true},
		{"an argon2i hash is an error", "x", strings.Replace(hash, "argon2id", "argon2i", 1), false, true},
		{"another argon2 version is an error", "x", strings.Replace(hash, "v=19", "v=16", 1), false, true},
		{"a hash asking for 4 GiB is an error", "x", strings.Replace(hash, "m=64", "m=4194304", 1), false, true},
		{"a hash with a bad salt is an error", "x", "$argon2id$v=19$m=64,t=1,p=1$!!!$" + strings.Split(hash, "$")[5], false, true},
		{"a hash with a short key is an error", "x", strings.Join(strings.Split(hash, "$")[:5], "$") + "$AAAA", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := VerifyPassword(tt.password, tt.hash)
			if (err != nil) != tt.wantErr || ok != tt.want {
				t.Errorf("VerifyPassword = %v, %v; want %v, error %v", ok, err, tt.want, tt.wantErr)
			}
		})
	}
}
