// A synthetic COCO instances file of about the given size with the real shape: info, images,
// licenses, annotations with segmentation polygons (most of the bytes), categories last.
import { closeSync, openSync, writeSync } from "node:fs"

/** Writes the file; returns its size and the number of boxes larger than 4 px (all of them). */
export const writeSyntheticInstances = (file: string, targetBytes: number): { bytes: number; annotations: number } => {
  const fd = openSync(file, "w")
  let bytes = 0
  const put = (s: string) => {
    bytes += writeSync(fd, s)
  }
  try {
    // instances_train2014.json: 82,783 images, 604,907 annotations, ~520 bytes per annotation here.
    const annotations = Math.max(1, Math.floor(targetBytes / 520))
    const images = Math.max(1, Math.ceil(annotations / 7.3))
    put(`{"info": {"description": "COCO 2014 Dataset (synthetic)", "version": "1.0", "year": 2014}, "images": [`)
    for (let i = 0; i < images; i++) {
      put(`${i ? "," : ""}{"license": 3, "file_name": "COCO_train2014_${String(i + 1).padStart(12, "0")}.jpg", "coco_url": "http://images.cocodataset.org/train2014/COCO_train2014_${String(i + 1).padStart(12, "0")}.jpg", "height": 480, "width": 640, "date_captured": "2013-11-14 16:28:13", "flickr_url": "http://farm4.staticflickr.com/1/1.jpg", "id": ${i + 1}}`)
    }
    put(`], "licenses": [{"url": "http://creativecommons.org/licenses/by-nc-sa/2.0/", "id": 1, "name": "Attribution-NonCommercial-ShareAlike License"}], "annotations": [`)
    let seed = 1
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32)
    for (let a = 0; a < annotations; a++) {
      const poly = Array.from({ length: 48 }, () => (rand() * 600).toFixed(2)).join(",")
      const x = (rand() * 500).toFixed(2)
      const y = (rand() * 400).toFixed(2)
      put(`${a ? "," : ""}{"segmentation": [[${poly}]], "area": ${(rand() * 5e4).toFixed(4)}, "iscrowd": 0, "image_id": ${(a % images) + 1}, "bbox": [${x}, ${y}, ${(5 + rand() * 100).toFixed(2)}, ${(5 + rand() * 100).toFixed(2)}], "category_id": ${(a % 80) + 1}, "id": ${a + 1}}`)
    }
    put(`], "categories": [`)
    for (let c = 0; c < 80; c++) put(`${c ? "," : ""}{"supercategory": "thing", "id": ${c + 1}, "name": "class ${c + 1}"}`)
    put(`]}`)
    return { bytes, annotations }
  } finally {
    closeSync(fd)
  }
}
