// stopword ships no types; Ulasan reads only its Indonesian list.
declare module 'stopword' {
  export const ind: string[];
}
