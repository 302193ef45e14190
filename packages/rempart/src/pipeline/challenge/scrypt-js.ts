// scrypt (RFC 7914) in plain JavaScript for the browser's Web Worker: WebCrypto has PBKDF2-HMAC-SHA-256 (used for
// the two one-iteration PBKDF2 steps) but no scrypt, so the memory-hard middle, ROMix over Salsa20/8 BlockMix, is
// written here over an Int32Array. Portable source (ES2017, only `crypto.subtle`): unit tests evaluate this same
// text in Node against node:crypto. Words are read little-endian from bytes explicitly, whatever the platform.
export const SCRYPT_JS = `var scryptV,scryptX=new Int32Array(16);
function salsa8(X){
var x0=X[0],x1=X[1],x2=X[2],x3=X[3],x4=X[4],x5=X[5],x6=X[6],x7=X[7],x8=X[8],x9=X[9],x10=X[10],x11=X[11],x12=X[12],x13=X[13],x14=X[14],x15=X[15],t,i;
for(i=0;i<4;i++){
t=x0+x12|0;x4^=t<<7|t>>>25;t=x4+x0|0;x8^=t<<9|t>>>23;t=x8+x4|0;x12^=t<<13|t>>>19;t=x12+x8|0;x0^=t<<18|t>>>14;
t=x5+x1|0;x9^=t<<7|t>>>25;t=x9+x5|0;x13^=t<<9|t>>>23;t=x13+x9|0;x1^=t<<13|t>>>19;t=x1+x13|0;x5^=t<<18|t>>>14;
t=x10+x6|0;x14^=t<<7|t>>>25;t=x14+x10|0;x2^=t<<9|t>>>23;t=x2+x14|0;x6^=t<<13|t>>>19;t=x6+x2|0;x10^=t<<18|t>>>14;
t=x15+x11|0;x3^=t<<7|t>>>25;t=x3+x15|0;x7^=t<<9|t>>>23;t=x7+x3|0;x11^=t<<13|t>>>19;t=x11+x7|0;x15^=t<<18|t>>>14;
t=x0+x3|0;x1^=t<<7|t>>>25;t=x1+x0|0;x2^=t<<9|t>>>23;t=x2+x1|0;x3^=t<<13|t>>>19;t=x3+x2|0;x0^=t<<18|t>>>14;
t=x5+x4|0;x6^=t<<7|t>>>25;t=x6+x5|0;x7^=t<<9|t>>>23;t=x7+x6|0;x4^=t<<13|t>>>19;t=x4+x7|0;x5^=t<<18|t>>>14;
t=x10+x9|0;x11^=t<<7|t>>>25;t=x11+x10|0;x8^=t<<9|t>>>23;t=x8+x11|0;x9^=t<<13|t>>>19;t=x9+x8|0;x10^=t<<18|t>>>14;
t=x15+x14|0;x12^=t<<7|t>>>25;t=x12+x15|0;x13^=t<<9|t>>>23;t=x13+x12|0;x14^=t<<13|t>>>19;t=x14+x13|0;x15^=t<<18|t>>>14}
X[0]=X[0]+x0|0;X[1]=X[1]+x1|0;X[2]=X[2]+x2|0;X[3]=X[3]+x3|0;X[4]=X[4]+x4|0;X[5]=X[5]+x5|0;X[6]=X[6]+x6|0;X[7]=X[7]+x7|0;
X[8]=X[8]+x8|0;X[9]=X[9]+x9|0;X[10]=X[10]+x10|0;X[11]=X[11]+x11|0;X[12]=X[12]+x12|0;X[13]=X[13]+x13|0;X[14]=X[14]+x14|0;X[15]=X[15]+x15|0}
function blockMix(B,Y,r){
var X=scryptX,n=2*r,i,k,o;
for(k=0;k<16;k++)X[k]=B[(n-1)*16+k];
for(i=0;i<n;i++){o=i*16;for(k=0;k<16;k++)X[k]^=B[o+k];salsa8(X);o=((i&1)*r+(i>>1))*16;for(k=0;k<16;k++)Y[o+k]=X[k]}
B.set(Y)}
function roMix(W,off,N,r){
var L=32*r,X=W.subarray(off,off+L),Y=new Int32Array(L),V,i,j,k;
if(!scryptV||scryptV.length!==N*L)scryptV=new Int32Array(N*L);
V=scryptV;
for(i=0;i<N;i++){V.set(X,i*L);blockMix(X,Y,r)}
for(i=0;i<N;i++){j=(X[L-16]&(N-1))*L;for(k=0;k<L;k++)X[k]^=V[j+k];blockMix(X,Y,r)}}
async function scrypt(P,S,N,r,p,dkLen){
var s=crypto.subtle,key=await s.importKey("raw",P,"PBKDF2",false,["deriveBits"]),
b=new Uint8Array(await s.deriveBits({name:"PBKDF2",hash:"SHA-256",salt:S,iterations:1},key,p*1024*r)),
W=new Int32Array(b.length>>2),i,w;
for(i=0;i<W.length;i++)W[i]=b[4*i]|b[4*i+1]<<8|b[4*i+2]<<16|b[4*i+3]<<24;
for(i=0;i<p;i++)roMix(W,i*32*r,N,r);
for(i=0;i<W.length;i++){w=W[i];b[4*i]=w;b[4*i+1]=w>>>8;b[4*i+2]=w>>>16;b[4*i+3]=w>>>24}
return new Uint8Array(await s.deriveBits({name:"PBKDF2",hash:"SHA-256",salt:b,iterations:1},key,dkLen*8))}
`;
