import sharp from "sharp";
import { renderPicture } from "./simulators/comfyui/render";
import { postProcessImage } from "./activities/imaging";
const imgs = await Promise.all(Array.from({length: 20}, (_, i) => renderPicture({width:512,height:512,seed:i,positive:"a cat "+i,checkpoint:"x",loras:[]},0)));
const opts = {maxEdge:1536, thumbEdge:256, quality:86};
const res: Record<string, number[]> = {a: [], b: []};
for (let r=0;r<6;r++) for (const [k,c] of [["a",2],["b",1]] as const) { sharp.concurrency(c); for (const b of imgs){ const t=performance.now(); await postProcessImage(b, opts); res[k]!.push(performance.now()-t);} }
for (const [k,v] of Object.entries(res)) { v.sort((x,y)=>x-y); console.log(k, 'p50', v[v.length>>1]!.toFixed(2), 'p90', v[Math.floor(v.length*0.9)]!.toFixed(2)); }
