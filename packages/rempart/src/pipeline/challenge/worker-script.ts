import { SCRYPT_JS } from './scrypt-js.ts';

// The Web Worker that searches the proof, served as /.rempart/worker.js. WebCrypto's digest is async, so SHA-256
// hashes are issued in batches and awaited together; scrypt guesses (milliseconds each) go one by one, with
// progress after each. Progress is the chance of having found a proof by now.
export const WORKER_JS = `"use strict";
${SCRYPT_JS}function lz(h){var n=0;for(var k=0;k<h.length;k++){if(h[k]===0){n+=8;continue}return n+Math.clz32(h[k])-24}return n}
async function sha(c,b){
var enc=new TextEncoder(),E=Math.pow(2,b),i=0,B=256,ps=new Array(B),j,hs;
for(;;){
for(j=0;j<B;j++)ps[j]=crypto.subtle.digest("SHA-256",enc.encode(c+":"+(i+j)));
hs=await Promise.all(ps);
for(j=0;j<B;j++){if(lz(new Uint8Array(hs[j]))>=b){postMessage({n:String(i+j),h:i+j+1});return}}
i+=B;if((i&4095)===0)postMessage({p:1-Math.exp(-i/E)});
}}
async function scr(d){
var enc=new TextEncoder(),S=enc.encode(d.c),E=Math.pow(2,d.b),i;
for(i=0;;i++){
if(lz(await scrypt(enc.encode(d.c+":"+i),S,d.N,d.r,d.p,32))>=d.b){postMessage({n:String(i),h:i+1});return}
postMessage({p:1-Math.exp(-(i+1)/E)})}}
onmessage=function(e){var d=e.data;(d.a==="scrypt"?scr(d):sha(d.c,d.b)).catch(function(){postMessage({e:1})})};
`;

// The page script, served as /.rempart/page.js (script-src 'self'): show the progress block (hidden in the markup,
// so a browser without JavaScript never sees it), start the worker, show progress, send the proof,
// then go back: a GET by location.replace, a kept POST form by submitting it to the original URL. A busy verify
// (503, scrypt checks over their bound) leaves the challenge unspent: send the same proof again after Retry-After.
export const PAGE_JS = `(function(){"use strict";
var d=document.getElementById("rp").dataset,st=document.getElementById("st"),pg=document.getElementById("pg"),t0=performance.now();
document.getElementById("work").hidden=false;
function fail(){st.textContent=d.fail;document.getElementById("again").hidden=false}
if(!window.Worker||!window.crypto||!crypto.subtle){fail();return}
var w=new Worker(d.worker);
w.onerror=fail;
w.onmessage=function(e){var m=e.data;
if(m.e){fail();return}
if(m.p!==undefined){pg.value=Math.round(m.p*100);return}
pg.value=100;st.textContent=d.done;send(m.n,Math.max(1,Math.round(performance.now()-t0)),0)};
function send(n,ms,k){
fetch(d.verify,{method:"POST",credentials:"same-origin",headers:{"content-type":"application/x-www-form-urlencoded"},
body:"c="+encodeURIComponent(d.c)+"&n="+n+"&ms="+ms}).then(function(r){
if(r.status===503&&k<5){setTimeout(function(){send(n,ms,k+1)},(+r.headers.get("retry-after")||1)*1000);return}
if(!r.ok)throw new Error(String(r.status));
var f=document.getElementById("rf");
if(f&&d.keep==="1"){f.action=d.back;f.submit()}else location.replace(d.back)}).catch(fail)}
w.postMessage({c:d.c,b:+d.bits,a:d.alg,N:+d.n,r:+d.r,p:+d.p});
})();`;
