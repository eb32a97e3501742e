# rootstock's Nix library: plain derivations only, no nixpkgs. Generated files (nix/generated/) call these.
# outputs: other pinned output hashes for some steps, outputs.<system>.<step> = "sha256-…" (mkStep).
# fetchGit: whether the evaluator itself fetches a git source the store lacks (gitSource).
{ outputs ? { }, fetchGit ? false }:
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

  # A prepared git tree, in the store under the pin's name and NAR hash. `rootstock pins fetch` (and every
  # rootstock build) places it there, from upstream or a mirror; this derivation only names that path, and
  # building it fails with instructions. With fetchGit, a tree the store lacks is fetched and prepared by the
  # evaluator itself, with no shell and no builder: builtins.fetchGit checks out the commit (and its
  # submodules), builtins.path adds the tree without what the pin's `remove` names under the pinned hash and
  # refuses any other content. The value is that same derivation either way, its output now valid, so no
  # store path of the chain depends on how the tree arrived. Only an impure evaluation can see a placed
  # tree (pure evaluation's pathExists answers false outside its allow-list), so a pure one fetches again.
  # fetch: null (the tree needs a program to prepare), or { ref | allRefs, submodules, remove (regexes) }.
  gitSource =
    { name, pin, url, rev, hash, fetch ? null }:
    let
      placed = derivation {
        inherit name url rev;
        system = "builtin";
        builder = "builtin:rootstock-place-${pin}-with-rootstock-fetch";
        outputHash = hash;
        outputHashMode = "recursive";
      };
      checkout = builtins.fetchGit ({ inherit url rev; inherit (fetch) submodules; } // removeAttrs fetch [ "submodules" "remove" ]);
      # The filter is handed real paths (a chroot store's too): the tree path is what follows the checkout's name.
      top = builtins.unsafeDiscardStringContext (baseNameOf checkout.outPath);
      inTree = path: builtins.head (builtins.match ".*/${top}/(.*)" path);
      prepared = builtins.path {
        inherit name;
        path = checkout;
        sha256 = hash;
        filter = path: _type: !builtins.any (re: builtins.match re (inTree path) != null) fetch.remove;
      };
      present = builtins.pathExists (builtins.unsafeDiscardStringContext placed.outPath);
    in
    if !fetchGit || fetch == null || present then placed else builtins.seq prepared placed;

  # One bootstrap step. With a pinned outputHash it is fixed-output: Nix rejects any other output, and the
  # pinned path is never marked built (the other bytes stay valid only under their own hash). Its name carries a digest of builder, argv and environment, so a changed input
  # can never be satisfied by an older valid path that merely has the same pinned hash.
  # meta (description, pins, files) and the pinned hash are merged onto the result, not passed to the
  # derivation, so `nix eval` answers them without building and they never change a store path.
  # A hash in `outputs` replaces the pinned one: `rootstock stages repin` instantiates the chain with the
  # hashes a build has found so far, so each step after a changed one is built exactly as it will be once
  # the new hashes are written, without touching stages.toml.
  mkStep =
    { name, system, builder, args, env ? { }, outputHash ? null, meta ? { } }:
    let
      pinned = (outputs.${system} or { }).${name} or outputHash;
      digest = builtins.substring 0 12 (builtins.hashString "sha256"
        (builtins.unsafeDiscardStringContext (builtins.toJSON { inherit builder args env; })));
      fixed = if pinned == null then { } else { outputHash = pinned; outputHashMode = "recursive"; };
    in
    derivation (env // fixed // {
      name = if pinned == null then name else "${name}-${digest}";
      inherit system builder args;
    }) // { meta = meta // { outputHash = pinned; }; };
}
