# rootstock's Nix library: plain derivations only, no nixpkgs. Generated files (nix/generated/) call these.
rec {
  # Static packages with an inherited toolchain (static-nix.toml, issue #5).
  static = import ./static.nix;

  # Diverse double-compiling passes over the chain's compilers (docs/ddc.md).
  ddc = import ./ddc.nix;

  # A pinned file or archive, fetched by Nix's built-in fetcher: no shell, no nixpkgs. If rootstock (or a
  # previous build) already placed the content in the store, nothing is downloaded.
  fetchurl =
    { name, url, hash, executable ? false, unpack ? false }:
    derivation {
      inherit name url executable unpack;
      builder = "builtin:fetchurl";
      system = "builtin";
      outputHash = hash;
      outputHashMode = if executable || unpack then "recursive" else "flat";
      preferLocalBuild = true;
      impureEnvVars = [ "http_proxy" "https_proxy" "ftp_proxy" "all_proxy" "no_proxy" ];
    };

  # A prepared git tree. Nix alone cannot fetch submodules and apply the pin's preparation without a shell,
  # so `rootstock fetch` (or `rootstock build`) places the tree in the store; this derivation only names
  # the path and fails with instructions when it is missing.
  gitSource =
    { name, pin, url, rev, hash }:
    derivation {
      inherit name url rev;
      system = "builtin";
      builder = "builtin:rootstock-place-${pin}-with-rootstock-fetch";
      outputHash = hash;
      outputHashMode = "recursive";
    };

  # One bootstrap step. With a pinned outputHash it is fixed-output: Nix rejects any other output, and the
  # pinned path is never marked built (the other bytes stay valid only under their own hash). Its name carries a digest of builder, argv and environment, so a changed input
  # can never be satisfied by an older valid path that merely has the same pinned hash.
  # meta (description, pins, files) and the pinned hash are merged onto the result, not passed to the
  # derivation, so `nix eval` answers them without building and they never change a store path.
  mkStep =
    { name, system, builder, args, env ? { }, outputHash ? null, meta ? { } }:
    let
      digest = builtins.substring 0 12 (builtins.hashString "sha256"
        (builtins.unsafeDiscardStringContext (builtins.toJSON { inherit builder args env; })));
      fixed = if outputHash == null then { } else { inherit outputHash; outputHashMode = "recursive"; };
    in
    derivation (env // fixed // {
      name = if outputHash == null then name else "${name}-${digest}";
      inherit system builder args;
    }) // { meta = meta // { inherit outputHash; }; };

  # The library with other pinned output hashes for some steps: overrides.<system>.<step> = "sha256-…".
  # `rootstock stages repin` instantiates the chain with the hashes a build has found so far, so each step
  # after a changed one is built exactly as it will be once the new hashes are written, without touching
  # stages.toml. Empty overrides leave every derivation as it is.
  withOutputs =
    overrides:
    {
      inherit static ddc fetchurl gitSource withOutputs;
      mkStep =
        if overrides == { } then mkStep
        else step: mkStep (step // {
          outputHash = (overrides.${step.system} or { }).${step.name} or (step.outputHash or null);
        });
    };
}
