#!/bin/sh
# Counter for macOS: the app bundle, then a signed installer package (docs/install.md, "macOS").
# NOT BUILT OR TRIED in this repository's CI, which runs on Linux only.
#
# Needs: macOS 12 or newer on the kind of Mac it is for (arm64 or x86_64: PyInstaller builds for
# the machine it runs on), Python 3.11 from python.org, Xcode's command line tools
# (xcode-select --install). For a package other Macs accept without a warning: a "Developer ID
# Application" and a "Developer ID Installer" certificate in the keychain, and a notarytool
# profile (xcrun notarytool store-credentials counter-notary ...).
#
#     sh packaging/macos/build_pkg.sh 0.1.0
#     -> build/package/Counter-0.1.0.pkg
#
# Silent install for a fleet (Jamf, Munki, Kandji, or by hand over ssh):
#     sudo installer -pkg Counter-0.1.0.pkg -target /
# Removal: sudo rm -rf /Applications/Counter.app && sudo pkgutil --forget org.counterpos.counter
# Neither touches the stores (~/Library/Application Support/Counter) nor their keys.
set -eu
VERSION="${1:?usage: build_pkg.sh VERSION}"
cd "$(dirname "$0")/../.."
python3.11 scripts/build_package.py app
APP=build/package/dist/Counter.app
STAGE=build/package/pkgroot
rm -rf "$STAGE" && mkdir -p "$STAGE"
cp -R "$APP" "$STAGE/"
if [ -n "${COUNTER_SIGN_APP:-}" ]; then
    # every library inside first, then the bundle, with the hardened runtime notarisation asks for
    codesign --force --deep --options runtime --timestamp --sign "$COUNTER_SIGN_APP" "$STAGE/Counter.app"
fi
SIGN_PKG=""
[ -n "${COUNTER_SIGN_PKG:-}" ] && SIGN_PKG="--sign $COUNTER_SIGN_PKG"
# shellcheck disable=SC2086
pkgbuild --root "$STAGE" --install-location /Applications --identifier org.counterpos.counter \
    --version "$VERSION" $SIGN_PKG "build/package/Counter-$VERSION.pkg"
if [ -n "${COUNTER_NOTARY_PROFILE:-}" ]; then
    xcrun notarytool submit "build/package/Counter-$VERSION.pkg" --keychain-profile "$COUNTER_NOTARY_PROFILE" --wait
    xcrun stapler staple "build/package/Counter-$VERSION.pkg"
fi
echo "build/package/Counter-$VERSION.pkg"
