#!/usr/bin/env bash
# Install every Debian package dangan needs to build, test and run its demo.
# Called by both README commands and by .ci/run; safe to run again (apt-get is idempotent).
set -euo pipefail

PACKAGES=(
  build-essential g++ make pkg-config ca-certificates
  libxapian-dev
  libicu-dev
  libmagic-dev
  zlib1g-dev
  libsqlite3-dev sqlite3
  libsodium-dev
  # SHA-256 with the CPU's SHA instructions (base/hash.c): log verify hashes every entry twice
  libssl-dev
  libtesseract-dev libleptonica-dev
  tesseract-ocr tesseract-ocr-osd tesseract-ocr-eng tesseract-ocr-chi-sim tesseract-ocr-chi-tra
  libmupdf-dev libharfbuzz-dev libjbig2dec0-dev libopenjp2-7-dev libgumbo-dev libmujs-dev
  libfreetype-dev libjpeg-dev
  libopencc-dev opencc
  libcmocka-dev
  # the independent checkpoint verifier of the tests (tests/go/verifier.go): Go's sumdb/note and sumdb/tlog
  golang-go golang-golang-x-mod-dev
  libjansson-dev
  libzip-dev libxml2-dev
  # LibreOffice without a GUI: converts legacy .doc/.xls/.ppt and WPS files and renders
  # page views of office files (about 90 MiB to download, 58 packages; about 4 s a file)
  libreoffice-core-nogui libreoffice-writer-nogui libreoffice-calc-nogui
  libreoffice-impress-nogui
  libuchardet-dev
  # generates the compiled-in starter corpus and thesaurus at build time (\$(BUILD)/gen/)
  xxd
  # mutool: the tests read back the PDFs dangan prints (registers, reports)
  mupdf-tools
  # the web interface inside `dangan serve` (#18)
  libmicrohttpd-dev
  # the browser tests of the web interface: a real Chromium driven through Selenium
  chromium chromium-driver python3-selenium curl
  # the HTTPS test makes a self-signed certificate (serve --tls-cert/--tls-key)
  openssl
  fonts-noto-cjk fonts-dejavu-core
  # more typefaces for the OCR benchmark pages (bench/make-ocr-pages.py); not needed to run
  fonts-arphic-ukai fonts-arphic-uming fonts-liberation
  imagemagick
  # bench/scale draws the index's cost curves (scale.png, shown in the README); not needed
  # to build or test
  gnuplot-nox
  python3 perl util-linux bsdutils
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present" >&2
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done" >&2
