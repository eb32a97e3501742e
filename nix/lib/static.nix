# Static packages built by an inherited toolchain. Unlike the bootstrap steps these builders are the host's
# /bin/sh and build tools (make, cmake, ninja, perl, python3, ...), which the sandbox sees only through
# `extra-sandbox-paths` (rootstock passes the recipe's host_paths). The sources, the toolchain and every
# library come from pins; the host tools are recorded in the SBOM from the host's package database.
let
  # Each script is its own store path (a path value, not a string into the directory), so changing one
  # package's script rebuilds that package only.
  scripts = ../static;
  hostPath = "/usr/bin:/bin";
in
{
  # A toolchain as a store path with bin/{cc,c++,ar,ranlib}: zig from its pinned wheel, or wrappers around
  # the host's compilers.
  toolchain =
    { name, system, kind, wheel ? "", target ? "", cc ? [ ], cxx ? [ ] }:
    derivation {
      name = "toolchain-${name}";
      inherit system kind wheel target cc cxx;
      builder = "/bin/sh";
      args = [ (scripts + "/toolchain.sh") ];
      PATH = hostPath;
    };

  # The same derivation once more under other store paths: one attribute more, which the build never reads.
  # `rootstock build nix-static --check` builds both and compares them (reproduce.py).
  rebuild = drv: derivation (drv.drvAttrs // { rootstockSecondBuild = "1"; });

  # One package: its pinned source configured, built and installed into $out, static libraries only.
  # With `evidence`, the build directory (dependency files, ninja's deps log, objects) and the final link's
  # trace are kept in the `evidence` output for the SBOM.
  mkPackage =
    { name, version, system, src, toolchain, buildSystem, deps ? [ ], subdir ? "", flags ? [ ]
    , makeFlags ? [ ], script ? null, cflags ? [ ], evidence ? false, linkTarget ? "", sourceDateEpoch }:
    let
      substitute = builtins.replaceStrings (map (dep: "@${dep.pname}@") deps) (map toString deps);
    in
    derivation {
      name = "${name}-${version}";
      pname = name;
      inherit system src toolchain buildSystem deps subdir makeFlags;
      # `@name@` in a flag is the store path of the dependency called name.
      flags = map substitute flags;
      cflags = map substitute cflags;
      outputs = if evidence then [ "out" "evidence" ] else [ "out" ];
      keepEvidence = evidence;
      inherit linkTarget;
      script = if script == null then "" else scripts + "/scripts/${script}.sh";
      builder = "/bin/sh";
      args = [ (scripts + "/build.sh") ];
      PATH = hostPath;
      # Builds that stamp a date take the recipe's `source_date_epoch` instead of the clock (OpenSSL's "built
      # on", which reaches nix's binary; busybox's banner; clang's __DATE__). `build nix-static --check` found
      # OpenSSL's stamp.
      SOURCE_DATE_EPOCH = sourceDateEpoch;
    };
}
