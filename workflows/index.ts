// Every workflow the main worker runs. One file per flow; register new flows here.
export { companionPhoto } from "./companionPhoto";
export { angleSeries, angleSeriesImage } from "./angleSeries";
export { chatImage } from "./chatImage";
export { variations } from "./variations";
