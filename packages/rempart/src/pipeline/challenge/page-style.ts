// The challenge page's style, served as /.rempart/page.css (see assets.ts). Dark mode, visible focus and reduced
// motion are part of it; the page stays readable without it.
export const PAGE_CSS = `body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f5f6f8;color:#16181d}
main{max-width:34rem;margin:12vh auto;padding:2rem;background:#fff;border-radius:.5rem;box-shadow:0 1px 4px #0002}
h1{font-size:1.4rem;margin:.2rem 0 1rem}progress{width:100%;height:1rem}img{max-height:3rem}
.ref{color:#555;font-size:.85rem}.brand{font-weight:600;color:#1a56db;margin:0}button{font:inherit;padding:.5rem 1rem}
:focus-visible{outline:3px solid #1a56db;outline-offset:2px}[hidden]{display:none!important}
@media (prefers-reduced-motion:reduce){*{animation:none!important;transition:none!important}}
@media (prefers-color-scheme:dark){body{background:#111;color:#eee}main{background:#1c1e22}.ref{color:#aaa}}
`;
